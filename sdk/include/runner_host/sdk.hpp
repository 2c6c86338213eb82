// The runner-host SDK for task library authors: include this one header.
//
//   #include <runner_host/sdk.hpp>
//   static rh::json add(rh::TaskContext&, const rh::json& p) { return p["a"].get<int>() + p["b"].get<int>(); }
//   RH_TASK_LIBRARY(lib) { lib.name("demo").version("1.0.0"); lib.task("add", add); }
//
// See docs/sdk.md.
#pragma once

#include <runner_host/abi.h>
#include <runner_host/cache.hpp>
#include <runner_host/context.hpp>
#include <runner_host/errors.hpp>
#include <runner_host/event.hpp>
#include <runner_host/extensions.hpp>
#include <runner_host/future.hpp>
#include <runner_host/json.hpp>
#include <runner_host/library.hpp>
#include <runner_host/run_info.hpp>
#include <runner_host/state.hpp>
#include <runner_host/task_run_waiter.hpp>
#include <runner_host/transaction.hpp>
#include <runner_host/version.hpp>
#include <runner_host/waiting.hpp>
