// Negotiation and loading errors (DESIGN.md section 3, rules 1-2): every plugin the host
// cannot use is refused with one line that names the file and says why.
#include "engine_harness.hpp"
#include "scratch_dir.hpp"

#include "base/sha256.hpp"
#include "engine/task_registry.hpp"
#include "plugins/plugin_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

using rh::host::PluginError;
using rh::host::PluginLoader;
using rh::testing::runner_path;
using rh::testing::ScratchDir;
using rh::testing::test_plugin_path;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The PluginError message of `load`, or a test failure when it does not throw one.
std::string plugin_error(const std::function<void()>& load) {
  try {
    load();
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a PluginError";
  return {};
}

std::string host_version() { return std::to_string(RH_ABI_VERSION_MAJOR) + "." + std::to_string(RH_ABI_VERSION_MINOR); }

TEST(PluginLoadErrors, MissingFileIsNamed) {
  ScratchDir dir;
  const std::string path = dir.file("libmissing.so");
  PluginLoader loader;
  EXPECT_EQ(plugin_error([&] { loader.load_task_library(path); }), "plugin '" + path + "': file not found");
  EXPECT_EQ(plugin_error([&] { loader.load_runner(path); }), "plugin '" + path + "': file not found");
}

TEST(PluginLoadErrors, DirectoryIsNotALibrary) {
  ScratchDir dir;
  const std::string path = dir.path().string();
  PluginLoader loader;
  EXPECT_EQ(plugin_error([&] { loader.load_task_library(path); }),
            "plugin '" + path + "': is a directory, not a shared library");
}

TEST(PluginLoadErrors, TextFileIsNotALoadableLibrary) {
  ScratchDir dir;
  // The host reads the ELF header itself: dlopen would say only "invalid ELF header".
  const std::string path = dir.write("libtext.so", std::string(200, 'x') + "\nthis is a text file, not a library\n");
  PluginLoader loader;
  EXPECT_EQ(plugin_error([&] { loader.load_task_library(path); }),
            "plugin '" + path + "': is not an ELF shared library (no ELF header)");
}

TEST(PluginLoadErrors, SharedLibraryWithoutEntrySymbol) {
  const std::string path = test_plugin_path("abi_no_entry");
  PluginLoader loader;
  EXPECT_EQ(
      plugin_error([&] { loader.load_task_library(path); }),
      "plugin '" + path + "': no 'rh_plugin_entry' entry symbol (build it with RH_TASK_LIBRARY or RH_RUNNER_PLUGIN)");
}

TEST(PluginLoadErrors, MajorVersionMismatchNamesBothVersions) {
  const std::string path = test_plugin_path("abi_major2");
  PluginLoader loader;
  const std::string message = plugin_error([&] { loader.load_task_library(path); });
  EXPECT_EQ(message,
            "plugin '" + path + "' was built for runner-host ABI 2.3, but this host speaks ABI " + host_version());
  EXPECT_THAT(message, HasSubstr("2.3"));
  EXPECT_THAT(message, HasSubstr(host_version()));
  // The kind is irrelevant: the version is checked first.
  EXPECT_EQ(plugin_error([&] { loader.load_runner(path); }), message);
}

TEST(PluginLoadErrors, ThrowingRegistrationNamesExceptionTypeAndMessage) {
  const std::string path = test_plugin_path("abi_registration_throws");
  PluginLoader loader;
  const std::string message = plugin_error([&] { loader.load_task_library(path); });
  EXPECT_EQ(message, "plugin '" + path + "': registration failed: std::runtime_error: registration refused on purpose");
  EXPECT_THAT(message, Not(HasSubstr("second line")));
  // The body runs again on the next load and is refused again (nothing half-registered).
  EXPECT_EQ(plugin_error([&] { loader.load_task_library(path); }), message);
}

TEST(PluginLoadErrors, RunnerIsNotATaskLibrary) {
  const std::string path = runner_path("sequential");
  PluginLoader loader;
  EXPECT_EQ(plugin_error([&] { loader.load_task_library(path); }),
            "plugin '" + path + "' is a runner, not a task library (select runners with --runner)");
}

TEST(PluginLoadErrors, TaskLibraryIsNotARunner) {
  const std::string path = test_plugin_path("abi_c_tasks");
  PluginLoader loader;
  EXPECT_EQ(plugin_error([&] { loader.load_runner(path); }), "plugin '" + path + "' is a task library, not a runner");
}

// RUNNER_HOST_RUNNER_PATH changes the search path; each test sets it as it needs and the
// fixture restores the caller's value.
class LocateRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* value = std::getenv(kVar)) saved_ = value;
    ::unsetenv(kVar);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv(kVar, saved_->c_str(), 1);
    } else {
      ::unsetenv(kVar);
    }
  }
  static constexpr const char* kVar = "RUNNER_HOST_RUNNER_PATH";
  std::optional<std::string> saved_;
};

TEST_F(LocateRunner, UnknownNameListsAvailableRunners) {
  const std::vector<std::string> available = rh::host::available_runners(RH_BIN_DIR);
  ASSERT_THAT(available, ::testing::IsSupersetOf({"sequential", "fiber", "tbb"}));
  std::string list;
  for (const std::string& name : available) list += (list.empty() ? "" : ", ") + name;
  EXPECT_EQ(plugin_error([] { rh::host::locate_runner("no-such-runner", RH_BIN_DIR); }),
            "unknown runner 'no-such-runner' (available: " + list + ")");
}

TEST_F(LocateRunner, UnknownNameWithNoRunnersAnywhere) {
  ScratchDir empty_exe_dir;
  EXPECT_EQ(plugin_error([&] { rh::host::locate_runner("tbb", empty_exe_dir.path()); }),
            "unknown runner 'tbb' (available: none found)");
}

TEST_F(LocateRunner, EnvironmentPathIsSearchedAndListed) {
  ScratchDir extra;
  extra.write("librh_runner_custom.so", "");  // listing only looks at names
  ::setenv(kVar, extra.path().c_str(), 1);
  ScratchDir empty_exe_dir;
  EXPECT_EQ(rh::host::available_runners(empty_exe_dir.path()), std::vector<std::string>{"custom"});
  EXPECT_EQ(rh::host::locate_runner("custom", empty_exe_dir.path()), extra.file("librh_runner_custom.so"));
  EXPECT_EQ(plugin_error([&] { rh::host::locate_runner("other", empty_exe_dir.path()); }),
            "unknown runner 'other' (available: custom)");
}

TEST_F(LocateRunner, KnownNameAndPathsResolve) {
  const std::string found = rh::host::locate_runner("sequential", RH_BIN_DIR);
  EXPECT_THAT(found, ::testing::EndsWith("/runners/librh_runner_sequential.so"));
  // Anything that looks like a path is used as given, even if it does not exist (the
  // loader then reports the missing file).
  EXPECT_EQ(rh::host::locate_runner("./librh_runner_x.so", RH_BIN_DIR), "./librh_runner_x.so");
  // A bare file name is a runner name, never a file of the current directory.
  try {
    rh::host::locate_runner("librh_runner_x.so", RH_BIN_DIR);
    ADD_FAILURE() << "a bare file name was taken as a path";
  } catch (const PluginError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "unknown runner 'librh_runner_x.so' (available: fiber, mpi, process, sequential, tbb); a runner plugin file "
        "is given by a path, e.g. './librh_runner_x.so'");
  }
}

// The digest a config pins is the file's SHA-256 (FIPS 180-2's test vectors).
TEST(PluginFileDigest, Sha256OfKnownContents) {
  ScratchDir dir;
  const auto digest_of = [](const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    const std::string hex = rh::host::sha256_hex_of_fd(fd);
    ::close(fd);
    return hex;
  };
  EXPECT_EQ(digest_of(dir.write("abc", "abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest_of(dir.write("empty", "")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Larger than one read.
  EXPECT_EQ(digest_of(dir.write("million", std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Names that would break a line of the table or of `list` are refused, escaped; printable
// UTF-8 beyond ASCII is fine.
TEST(TaskNames, ControlCharactersAndInvalidUtf8AreRefusedEscaped) {
  const auto registration_error = [](const std::string& name) -> std::string {
    rh_task_def def{};
    def.struct_size = sizeof(rh_task_def);
    def.kind = RH_TASK_KIND_TASK;
    def.name = rh_str{name.data(), name.size()};
    def.run = [](void*, const rh_task_call*) -> int32_t { return RH_TASK_COMPLETED; };
    const rh_task_library library{sizeof(rh_task_library), {"names", 5}, {"1", 1}, &def, 1};
    rh::host::TaskRegistry registry;
    try {
      registry.add_library(library, "names.so");
    } catch (const rh::host::RegistryError& e) {
      return e.what();
    }
    return {};
  };
  EXPECT_EQ(registration_error("tab\there"),
            R"(plugin 'names.so': task name "tab\there" contains a control character)");
  EXPECT_EQ(registration_error("del\x7f"), R"(plugin 'names.so': task name "del\x7f" contains a control character)");
  EXPECT_EQ(registration_error("c1\xc2\x85"),
            R"(plugin 'names.so': task name "c1\xc2\x85" contains a control character)");
  EXPECT_EQ(registration_error("cut\xe2\x82"), R"(plugin 'names.so': task name "cut\xe2\x82" is not valid UTF-8)");
  EXPECT_EQ(registration_error("overlong\xc0\xaf"),
            R"(plugin 'names.so': task name "overlong\xc0\xaf" is not valid UTF-8)");
  EXPECT_EQ(registration_error("surrogate\xed\xa0\x80"),
            R"(plugin 'names.so': task name "surrogate\xed\xa0\x80" is not valid UTF-8)");
  EXPECT_EQ(registration_error("caf\xc3\xa9_\xe2\x82\xac_\xf0\x9f\x98\x80"), "");
}

}  // namespace
