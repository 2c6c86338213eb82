// default_store_path: RUNNER_HOST_HOME, else XDG_STATE_HOME, else HOME, from an environment
// given to it (never the real one).
#include "store/store_path.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

using rh::host::default_store_path;
using rh::host::EnvLookup;

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

TEST(StorePath, RunnerHostHomeWins) {
  EXPECT_EQ(default_store_path(env_of({{"RUNNER_HOST_HOME", "/srv/rh"}, {"XDG_STATE_HOME", "/x"}, {"HOME", "/h"}})),
            "/srv/rh/store.db");
}

TEST(StorePath, ThenXdgStateHome) {
  EXPECT_EQ(default_store_path(env_of({{"XDG_STATE_HOME", "/x/state"}, {"HOME", "/h"}})),
            "/x/state/runner-host/store.db");
}

TEST(StorePath, ThenHomeWithTheXdgDefault) {
  EXPECT_EQ(default_store_path(env_of({{"HOME", "/home/ann"}})), "/home/ann/.local/state/runner-host/store.db");
}

TEST(StorePath, EmptyVariablesAndARelativeXdgStateHomeAreIgnored) {
  EXPECT_EQ(default_store_path(env_of({{"RUNNER_HOST_HOME", ""}, {"XDG_STATE_HOME", "rel/state"}, {"HOME", "/h"}})),
            "/h/.local/state/runner-host/store.db");
  EXPECT_EQ(default_store_path(env_of({{"XDG_STATE_HOME", ""}, {"HOME", "/h"}})),
            "/h/.local/state/runner-host/store.db");
}

TEST(StorePath, NoneSetIsAnError) {
  try {
    default_store_path(env_of({{"HOME", ""}}));
    FAIL() << "no exception";
  } catch (const rh::host::StoreError& e) {
    EXPECT_STREQ(e.what(), "no place for the store: none of RUNNER_HOST_HOME, XDG_STATE_HOME and HOME is set");
  }
}

TEST(StorePath, TheProcessEnvironmentReadsGetenv) {
  const EnvLookup env = rh::host::process_environment();
  EXPECT_EQ(env("RH_STORE_TEST_SURELY_UNSET_VARIABLE"), std::nullopt);
  ASSERT_EQ(::setenv("RH_STORE_TEST_VARIABLE", "value", 1), 0);
  EXPECT_EQ(env("RH_STORE_TEST_VARIABLE"), std::optional<std::string>("value"));
  ::unsetenv("RH_STORE_TEST_VARIABLE");
}

}  // namespace
