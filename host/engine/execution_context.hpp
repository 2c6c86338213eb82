// What runs on this thread right now: which engine's code (a work item, a timer callback,
// a session's host thread while it waits for a flow) and which attempt's task code. Every
// engine entry point sets it for its duration (ContextScope) and every wait puts it back
// when the waiting code resumes, wherever that is: a task suspended on one thread may
// resume on another (oneTBB), and the slot must be the new thread's. Plugin calls that
// carry no handle (an event's wait, TaskRunWaiter::instance()) are served from it.
#pragma once

#include "runtime/wait.hpp"

namespace rh::host {

class Engine;
struct AttemptContext;

struct ExecutionContext {
  Engine* engine = nullptr;           // nullptr: a thread of no session
  AttemptContext* attempt = nullptr;  // nullptr outside task code
};

ExecutionContext current_context() noexcept;
void set_current_context(ExecutionContext context) noexcept;

// Sets the context for a scope and puts the previous one back at its end.
class ContextScope {
 public:
  explicit ContextScope(Engine& engine, AttemptContext* attempt = nullptr) noexcept : saved_(current_context()) {
    set_current_context(ExecutionContext{&engine, attempt});
  }
  ~ContextScope() { set_current_context(saved_); }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  ExecutionContext saved_;
};

// How whatever runs on this thread blocks (runtime/wait.hpp): an attempt through its
// engine, so that it still stops at its deadline or on cancellation; other engine code on
// the engine's runner; a thread of no session as a plain thread.
const Blocker& context_blocker();

}  // namespace rh::host
