// The SDK's link to the host: the API table handed over at plugin entry, and helpers that
// convert between C ABI types and C++ types. Internal to the SDK.
#pragma once

#include <runner_host/abi.h>
#include <runner_host/abi_text.hpp>

#include <cxxabi.h>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>

namespace rh {
namespace detail {

// One per plugin: every plugin is built with hidden visibility, so each shared library has
// its own copy, set by the entry point before any other SDK call.
inline const rh_host_api*& host_slot() {
  static const rh_host_api* host = nullptr;
  return host;
}

// Takes the host's table at plugin entry if this SDK can use it: same major, and a table
// large enough for every function this SDK calls (a host of an older minor may lack some).
// Returns false, leaving the SDK unusable, otherwise.
inline bool accept_host(const rh_host_offer* offer) {
  if (offer == nullptr || offer->abi_major != RH_ABI_VERSION_MAJOR || offer->host == nullptr) return false;
  if (!RH_HAS_FIELD(offer->host, rh_host_api, waiter_add_done_callback)) return false;
  // Functions of later minors are optional: the SDK checks for them where it calls them.
  host_slot() = offer->host;
  return true;
}

// Why the SDK cannot run, for the error a plugin reports at load.
inline std::string host_refusal() {
  return "this plugin was built with the runner-host SDK for ABI " + std::to_string(RH_ABI_VERSION_MAJOR) + "." +
         std::to_string(RH_ABI_VERSION_MINOR) + ", and the host does not offer all of its functions";
}

inline const rh_host_api& host() {
  const rh_host_api* api = host_slot();
  if (api == nullptr) {
    throw std::logic_error("runner-host SDK used before the host loaded this plugin");
  }
  return *api;
}

inline rh_time_ns now_ns() { return host().now_ns(); }

// Converts a relative timeout to an absolute ABI deadline; negative durations mean "none".
template <class Rep, class Period>
rh_time_ns deadline_after(std::chrono::duration<Rep, Period> timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  if (ns < 0) return RH_DEADLINE_NONE;
  const rh_time_ns now = now_ns();
  return ns > RH_DEADLINE_NONE - now ? RH_DEADLINE_NONE : now + ns;
}

// Readable name of a type, e.g. "std::runtime_error".
inline std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

// The type of the exception being handled, also for throws of non-class types.
inline std::string current_exception_type_name() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type == nullptr ? std::string("unknown") : demangle(type->name());
}

// Reports an exception through a sink: type name + message.
inline void report_current_exception(rh_error_sink* err) {
  std::string type = current_exception_type_name();
  std::string message;
  try {
    throw;
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "a value of type " + type + " was thrown";
  }
  if (err != nullptr) err->set(err, to_rh_str(type), to_rh_str(message));
}

}  // namespace detail
}  // namespace rh
