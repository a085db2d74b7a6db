// A cooperative task scheduler with priorities.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#define SCHED_VERSION "0.3"
#define SCHED_CHECK(cond) do { if (!(cond)) std::abort(); } while (0)

namespace sched {

constexpr std::size_t kMaxTasks = 256;
const int kDefaultPriority = 5;
inline int g_tick_count = 0;

using TaskId = std::uint64_t;
typedef std::function<void()> Callback;

enum class Priority { Low, Normal = 5, High = 10 };

struct Task {
  TaskId id;
  Priority priority;
  Callback run;
  std::string name;

  bool operator<(const Task& other) const { return priority < other.priority; }
};

class Scheduler {
 public:
  Scheduler();
  explicit Scheduler(std::size_t capacity);
  ~Scheduler();

  TaskId submit(Callback cb, Priority priority = Priority::Normal);
  bool cancel(TaskId id);
  std::size_t pending() const { return queue_.size(); }
  void run_once();

  static Scheduler& global();

 private:
  std::priority_queue<Task> queue_;
  std::vector<TaskId> cancelled_;
  TaskId next_id_ = 1;
  std::size_t capacity_;
};

template <typename T>
class Channel {
 public:
  void send(T value) { items_.push_back(std::move(value)); }
  bool try_recv(T& out);

 private:
  std::vector<T> items_;
};

namespace detail {
void log_task(const Task& task);
}  // namespace detail

}  // namespace sched
