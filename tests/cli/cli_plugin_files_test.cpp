// What runner-host checks about a plugin or runner file before it loads it (host/plugins:
// plugin_loader, elf_check, plugin_trust, base/sha256): special files, ELF headers of another
// machine, class or type, truncated files, files others can write, pinned SHA-256 digests,
// bare names, runner resolution, and plugins that fail at entry or registration or whose
// task names cannot be printed. Each refusal is exit 2 with one line naming the file.
#include "cli_support.hpp"
#include "scratch_dir.hpp"

#include "base/sha256.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace rh::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kAllowHint = "; pass --allow-untrusted-plugins to load it anyway";

std::string plugin_file(const std::string& name) { return std::string(RH_TEST_PLUGIN_DIR) + "/lib" + name + ".so"; }

// A copy of a real plugin with `size` bytes at `offset` replaced.
std::string patched_copy(const ScratchDir& dir, const std::string& name, std::size_t offset, const std::string& bytes) {
  std::string content = read_file(kTasks);
  content.replace(offset, bytes.size(), bytes);
  return dir.write(name, content);
}

std::string le16(unsigned value) {
  return std::string{static_cast<char>(value & 0xff), static_cast<char>((value >> 8) & 0xff)};
}

std::string sha256_of(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  const std::string hex = host::sha256_hex_of_fd(fd);
  ::close(fd);
  return hex;
}

// A trusted copy of the cli_tasks plugin in a directory of its own (mode 0755).
std::string copy_of_tasks(const ScratchDir& dir, const std::string& sub) {
  fs::create_directories(dir.path() / sub);
  fs::permissions(dir.path() / sub, fs::perms(0755));
  const fs::path target = dir.path() / sub / "libtasks.so";
  fs::copy_file(kTasks, target);
  fs::permissions(target, fs::perms(0755));
  return target.string();
}

// --- special files

TEST(CliPluginFiles, FifoIsRefusedWithoutOpeningIt) {
  ScratchDir dir;
  const std::string path = dir.file("libfifo.so");
  ASSERT_EQ(mkfifo(path.c_str(), 0644), 0);
  ProcessOptions options;
  options.timeout_seconds = 20;  // dlopen on a FIFO would wait for a writer forever
  const ProcessResult r = run_host({"--plugin", path}, options);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(expect_usage_error(r), "runner-host: plugin '" + path + "': is a FIFO, not a shared library");
}

TEST(CliPluginFiles, CharacterDeviceIsRefused) {
  EXPECT_EQ(expect_usage_error(run_host({"list", "--plugin", "/dev/null"})),
            "runner-host: plugin '/dev/null': is a character device, not a shared library");
}

TEST(CliPluginFiles, DirectoryIsRefused) {
  ScratchDir dir;
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", dir.path().string()})),
            "runner-host: plugin '" + dir.path().string() + "': is a directory, not a shared library");
}

// --- ELF headers

#if defined(__x86_64__)
TEST(CliPluginFiles, ElfOfAnotherMachineNamesBoth) {
  ScratchDir dir;
  const std::string path = patched_copy(dir, "libarm.so", offsetof(Elf64_Ehdr, e_machine), le16(EM_AARCH64));
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", path})),
            "runner-host: plugin '" + path + "': is an ELF for aarch64, this host is x86-64");
}
#endif

TEST(CliPluginFiles, ElfOfTheOtherClassIsRefused) {
  ScratchDir dir;
  const bool host64 = sizeof(void*) == 8;
  const std::string path =
      patched_copy(dir, "libother.so", EI_CLASS, std::string(1, static_cast<char>(host64 ? ELFCLASS32 : ELFCLASS64)));
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", path})), "runner-host: plugin '" + path + "': is a " +
                                                                  (host64 ? "32" : "64") + "-bit ELF, this host is " +
                                                                  (host64 ? "64" : "32") + "-bit");
}

TEST(CliPluginFiles, ElfExecutableIsNotASharedLibrary) {
  ScratchDir dir;
  const std::string path = patched_copy(dir, "libexec.so", offsetof(Elf64_Ehdr, e_type), le16(ET_EXEC));
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", path})),
            "runner-host: plugin '" + path + "': is not an ELF shared library (it is an executable)");
}

TEST(CliPluginFiles, TextFileIsNotAnElf) {
  ScratchDir dir;
  const std::string path = dir.write("libtext.so", "this is text, not an ELF shared object\n");
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", path})),
            "runner-host: plugin '" + path + "': is not an ELF shared library (no ELF header)");
}

// dlopen maps segments past the end of a truncated file and dies of SIGBUS touching them.
TEST(CliPluginFiles, TruncatedElfIsRefusedInsteadOfCrashing) {
  ScratchDir dir;
  const std::string path = dir.write("libcut.so", read_file(kTasks).substr(0, 3000));
  const std::string line = expect_usage_error(run_host({"--plugin", path}));
  EXPECT_THAT(line, ::testing::MatchesRegex("runner-host: plugin '" + path +
                                            "': is truncated \\(its segments need [0-9]+ bytes, the file has 3000\\)"));
}

// --- trust

TEST(CliPluginFiles, WorldWritableDirectoryIsRefused) {
  ScratchDir dir;
  const std::string path = copy_of_tasks(dir, "shared");
  fs::permissions(dir.path() / "shared", fs::perms(0777));
  const std::string real_dir = fs::canonical(dir.path() / "shared").string();
  EXPECT_EQ(expect_usage_error(run_host({"list", "--plugin", path})),
            "runner-host: refusing plugin '" + path + "': directory '" + real_dir + "' is world-writable (mode 0777)" +
                kAllowHint);
  // The flag, or the config key, loads it anyway.
  const ProcessResult allowed = run_host({"list", "--allow-untrusted-plugins", "--plugin", path});
  EXPECT_EQ(allowed.exit_code, 0) << describe(allowed);
  const std::string config =
      dir.write("config.json", json{{"plugins", {path}}, {"allow_untrusted_plugins", true}}.dump());
  const ProcessResult by_config = run_host({"list", "--config", config});
  EXPECT_EQ(by_config.exit_code, 0) << describe(by_config);
}

TEST(CliPluginFiles, GroupWritableFileIsRefused) {
  ScratchDir dir;
  const std::string path = copy_of_tasks(dir, "lib");
  fs::permissions(path, fs::perms(0775));
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", path, "--task", "add", "--params", R"({"a":1,"b":2})"})),
            "runner-host: refusing plugin '" + path + "': file '" + fs::canonical(path).string() +
                "' is group-writable (mode 0775)" + kAllowHint);
}

// The rule applies to the real path: a symbolic link from a trusted place does not hide a
// file in a world-writable directory.
TEST(CliPluginFiles, TheRealPathIsChecked) {
  ScratchDir dir;
  const std::string path = copy_of_tasks(dir, "open");
  fs::permissions(dir.path() / "open", fs::perms(0757));
  fs::create_directories(dir.path() / "safe");
  fs::permissions(dir.path() / "safe", fs::perms(0755));
  const fs::path link = dir.path() / "safe" / "libtasks.so";
  fs::create_symlink(path, link);
  EXPECT_EQ(expect_usage_error(run_host({"list", "--plugin", link.string()})),
            "runner-host: refusing plugin '" + link.string() + "': directory '" +
                fs::canonical(dir.path() / "open").string() + "' is world-writable (mode 0757)" + kAllowHint);
}

// A sticky directory (like /tmp) is fine: others cannot replace what is in it.
TEST(CliPluginFiles, StickyWorldWritableDirectoryIsTrusted) {
  ScratchDir dir;
  const std::string path = copy_of_tasks(dir, "sticky");
  fs::permissions(dir.path() / "sticky", fs::perms(01777));
  const ProcessResult r = run_host({"list", "--plugin", path});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("  file: " + fs::canonical(path).string() + "\n"));
}

TEST(CliPluginFiles, FileOwnedByAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "giving a file to another user needs root";
  ScratchDir dir;
  const std::string path = copy_of_tasks(dir, "theirs");
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);  // nobody
  const std::string line = expect_usage_error(run_host({"list", "--plugin", path}));
  EXPECT_THAT(line, ::testing::MatchesRegex("runner-host: refusing plugin '" + path + "': file '" +
                                            fs::canonical(path).string() +
                                            "' is owned by uid 65534( \\([a-z]+\\))?, neither root nor the user "
                                            "running runner-host \\(uid 0( \\(root\\))?\\)" +
                                            kAllowHint));
}

// --- pinned digests

TEST(CliPluginFiles, PinnedDigestMustMatch) {
  ScratchDir dir;
  const std::string path = copy_of_tasks(dir, "pinned");
  const std::string actual = sha256_of(path);
  const std::string good = dir.write("good.json", json{{"plugins", {{{"path", path}, {"sha256", actual}}}}}.dump());
  const ProcessResult ok = run_host({"list", "--config", good});
  EXPECT_EQ(ok.exit_code, 0) << describe(ok);
  const std::string wrong(64, '0');
  const std::string bad = dir.write("bad.json", json{{"plugins", {{{"path", path}, {"sha256", wrong}}}}}.dump());
  EXPECT_EQ(expect_usage_error(run_host({"--config", bad})),
            "runner-host: plugin '" + path + "': SHA-256 mismatch for " + fs::canonical(path).string() + ": expected " +
                wrong + ", actual " + actual);
}

TEST(CliPluginFiles, PinnedDigestMustBeSha256Hex) {
  ScratchDir dir;
  const std::string config = dir.write("c.json", R"({"plugins": [{"path": "/x/libt.so", "sha256": "abc"}]})");
  EXPECT_EQ(
      expect_usage_error(run_host({"--config", config})),
      "runner-host: config error: " + config + ": plugins[0].sha256: must be a SHA-256 of 64 hex digits, got \"abc\"");
}

// --- names that are not paths

TEST(CliPluginFiles, BarePluginNameIsNotLookedUpInTheCurrentDirectory) {
  ScratchDir dir;
  copy_of_tasks(dir, "here");
  ProcessOptions options;
  options.cwd = (dir.path() / "here").string();
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", "libtasks.so"}, options)),
            "runner-host: plugin 'libtasks.so': a bare file name is not looked up anywhere; give a path, e.g. "
            "'./libtasks.so'");
  const ProcessResult dotted = run_host({"list", "--plugin", "./libtasks.so"}, options);
  EXPECT_EQ(dotted.exit_code, 0) << describe(dotted);
}

TEST(CliPluginFiles, BareRunnerFileNameIsARunnerName) {
  ScratchDir dir;
  fs::copy_file(std::string(RH_BIN_DIR) + "/runners/librh_runner_sequential.so", dir.path() / "tbb.so");
  ProcessOptions options;
  options.cwd = dir.path().string();
  EXPECT_EQ(
      expect_usage_error(run_host({"--plugin", kTasks, "--task", "add", "--runner", "tbb.so"}, options)),
      "runner-host: unknown runner 'tbb.so' (available: fiber, mpi, process, sequential, tbb); a runner plugin file is "
      "given by a path, e.g. './tbb.so'");
}

// RUNNER_HOST_RUNNER_PATH is searched first: a name it shadows is said at info, and a
// runner from a directory others can write is refused like any plugin.
class RunnerPath : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("RUNNER_HOST_RUNNER_PATH"); }
  std::string shadowing_tbb(const fs::path& dir) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms(0755));
    const fs::path file = dir / "librh_runner_tbb.so";
    fs::copy_file(std::string(RH_BIN_DIR) + "/runners/librh_runner_sequential.so", file);
    fs::permissions(file, fs::perms(0755));
    ::setenv("RUNNER_HOST_RUNNER_PATH", dir.c_str(), 1);
    return file.string();
  }
  ScratchDir dir_;
};

TEST_F(RunnerPath, ShadowingRunnerIsNamedAtInfo) {
  const std::string file = shadowing_tbb(dir_.path() / "runners");
  const ProcessResult r = run_host({"--plugin", kTasks, "--task", "add", "--params", R"({"a":1,"b":2})"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("[info] runner 'tbb' is " + fs::canonical(file).string() + "\n"));
  const ProcessResult list = run_host({"list", "--plugin", kTasks});
  EXPECT_THAT(list.out, HasSubstr("\nrunner tbb: " + fs::canonical(file).string() + "\n"));
}

TEST_F(RunnerPath, RunnerInAWorldWritableDirectoryIsRefused) {
  const std::string file = shadowing_tbb(dir_.path() / "runners");
  fs::permissions(dir_.path() / "runners", fs::perms(0777));
  const std::string expected = "runner-host: refusing plugin '" + file + "': directory '" +
                               fs::canonical(dir_.path() / "runners").string() + "' is world-writable (mode 0777)" +
                               kAllowHint;
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", kTasks, "--task", "add"})), expected);
  EXPECT_EQ(expect_usage_error(run_host({"list", "--plugin", kTasks})), expected);
}

// --- plugins failing at entry or registration, task names

TEST(CliPluginFiles, EntryThatThrowsNamesThePlugin) {
  const std::string path = plugin_file("abi_entry_throws");
  EXPECT_EQ(expect_usage_error(run_host({"--plugin", path})),
            "runner-host: plugin '" + path + "': its entry point threw: entry refused on purpose");
}

TEST(CliPluginFiles, RegistrationFailingSilentlyNamesThePlugin) {
  const std::string path = plugin_file("abi_silent_registration");
  EXPECT_EQ(expect_usage_error(run_host({"list", "--plugin", path})),
            "runner-host: plugin '" + path + "': registration failed: the plugin gave no reason");
}

TEST(CliPluginFiles, TaskNamesThatBreakALineAreRefusedEscaped) {
  const struct {
    const char* plugin;
    const char* shown;
    const char* problem;
  } cases[] = {
      {"abi_bad_task_name_1", R"("bad\nname")", "contains a control character"},
      {"abi_bad_task_name_2", R"("bad\x1b[31mname")", "contains a control character"},
      {"abi_bad_task_name_3", R"("bad\xff\xfename")", "is not valid UTF-8"},
  };
  for (const auto& c : cases) {
    const std::string path = plugin_file(c.plugin);
    EXPECT_EQ(expect_usage_error(run_host({"list", "--plugin", path})),
              "runner-host: plugin '" + path + "': task name " + c.shown + " " + c.problem);
  }
}

}  // namespace
}  // namespace rh::testing
