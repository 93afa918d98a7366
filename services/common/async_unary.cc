#include "services/common/async_unary.h"

#include <pthread.h>

namespace reserve {
namespace {

// Waits per method per queue: calls that arrive together each find one, instead of queueing
// in gRPC until the thread re-arms.
constexpr int kWaitsPerMethod = 16;

}  // namespace

AsyncHost::AsyncHost(int threads) : threads_(threads < 1 ? 1 : threads) {}

AsyncHost::~AsyncHost() { Stop(); }

void AsyncHost::AddQueues(grpc::ServerBuilder& builder) {
  for (int i = 0; i < threads_; ++i) queues_.push_back(builder.AddCompletionQueue());
}

void AsyncHost::Start(const std::vector<grpc::Service*>& services) {
  for (grpc::Service* service : services) {
    auto* methods = dynamic_cast<AsyncMethods*>(service);
    if (methods == nullptr) continue;
    for (const std::unique_ptr<grpc::ServerCompletionQueue>& cq : queues_) {
      for (int i = 0; i < kWaitsPerMethod; ++i) methods->ArmAll(cq.get(), *this);
    }
  }
  for (const std::unique_ptr<grpc::ServerCompletionQueue>& cq : queues_) {
    workers_.emplace_back([queue = cq.get()] {
      pthread_setname_np(pthread_self(), "grpc-async");
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) static_cast<AsyncTag*>(tag)->Proceed(ok);
    });
  }
}

void AsyncHost::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    // Answers still to come call Finish, which needs the queues open.
    mu_.Await(absl::Condition(
        +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
  }
  for (const std::unique_ptr<grpc::ServerCompletionQueue>& cq : queues_) cq->Shutdown();
  if (workers_.empty()) {  // never started: drain here (a queue must be drained to go)
    for (const std::unique_ptr<grpc::ServerCompletionQueue>& cq : queues_) {
      void* tag = nullptr;
      bool ok = false;
      while (cq->Next(&tag, &ok)) static_cast<AsyncTag*>(tag)->Proceed(false);
    }
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

bool AsyncHost::BeginCall() {
  absl::MutexLock l(&mu_);
  if (stopping_) return false;
  ++in_flight_;
  return true;
}

void AsyncHost::EndCall() {
  absl::MutexLock l(&mu_);
  --in_flight_;
}

}  // namespace reserve
