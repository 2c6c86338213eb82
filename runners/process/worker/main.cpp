// runner-host-worker: the program the process runner spawns for each worker. It is started
// with its socket to the host at descriptor 3 (kSocketFd) and the host's pid as its one
// argument, and lives only as long as that host.
#include "worker.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "runner-host-worker is started by the process runner, not by hand\n");
    return 2;
  }
  // Killed with the host, whatever way the host ends; and if it ended before this line, the
  // parent is already someone else.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (std::to_string(getppid()) != argv[1]) return rh::worker_protocol::kExitHostGone;
  // Ctrl-C is the host's to handle: it asks the attempts to stop, then ends the workers.
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  // A task that crashes ends this process with its signal, which the host names in the
  // run's state: no handler here (a sanitizer runtime's included) turns it into an exit.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(sig, SIG_DFL);
  // Lines, not 4 KiB blocks, so what a task prints reaches the host's log as it prints.
  setvbuf(stdout, nullptr, _IOLBF, 0);

  rh::process_worker::SocketChannel channel(rh::process_worker::kSocketFd);
  rh::process_worker::Worker worker(channel, rh::process_worker::kSocketFd);
  rh::process_worker::set_the_worker(&worker);
  return worker.serve();
}
