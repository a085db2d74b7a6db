// Implementation of scheduler.hpp.
#include "scheduler.hpp"

#include <algorithm>
#include <iostream>

namespace sched {

static const char* const kLogPrefix = "[sched] ";
int g_instances = 0;

Scheduler::Scheduler() : capacity_(kMaxTasks) { ++g_instances; }

Scheduler::Scheduler(std::size_t capacity) : capacity_(capacity) {
  ++g_instances;
}

Scheduler::~Scheduler() { --g_instances; }

TaskId Scheduler::submit(Callback cb, Priority priority) {
  SCHED_CHECK(queue_.size() < capacity_);
  TaskId id = next_id_++;
  queue_.push(Task{id, priority, std::move(cb), "task"});
  return id;
}

bool Scheduler::cancel(TaskId id) {
  auto it = std::find(cancelled_.begin(), cancelled_.end(), id);
  if (it != cancelled_.end()) {
    return false;
  }
  cancelled_.push_back(id);
  return true;
}

void Scheduler::run_once() {
  if (queue_.empty()) {
    return;
  }
  Task task = queue_.top();
  queue_.pop();
  int attempts = 0;
  if (std::find(cancelled_.begin(), cancelled_.end(), task.id) == cancelled_.end()) {
    detail::log_task(task);
    task.run();
    ++attempts;
  }
  ++g_tick_count;
}

Scheduler& Scheduler::global() {
  static Scheduler instance;
  return instance;
}

template <typename T>
bool Channel<T>::try_recv(T& out) {
  if (items_.empty()) {
    return false;
  }
  out = std::move(items_.front());
  items_.erase(items_.begin());
  return true;
}

namespace detail {
void log_task(const Task& task) {
  std::cerr << kLogPrefix << task.name << '\n';
}
}  // namespace detail

}  // namespace sched

int main() {
  auto& s = sched::Scheduler::global();
  s.submit([] { std::cout << "hello\n"; });
  s.run_once();
  return 0;
}
