// grpc-floor: what gRPC alone costs on this machine, for reading reserve-bench's figures.
//
//   grpc-floor [--listen=127.0.0.1:0] [--port-file=F] [--threads=2] [--group-us=300]
//   reserve-bench --address=127.0.0.1:$(cat F) --token-file=<any> --clients=64 --seconds=10
//
// An InventoryService server with nothing behind it: AcquireLots is served from completion
// queues on --threads threads, as `reserved` serves it (services/common/async_unary), and
// answered from another thread in groups, --group-us after the first call of a group
// arrived, as the ledger answers a group once its fsync is done; CreateDepot answers OK. No
// authentication, no domain rules, no storage. So reserve-bench against it measures the
// ceiling that the same client, proto and threading allow on this machine; whatever
// `reserved` reaches below it is the price of the work itself.
#include <chrono>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "reserve/v1/inventory.grpc.pb.h"

namespace reserve::bench {
namespace {

namespace pb = ::reserve::v1;

// Answers handed over by the queue threads, run in groups by one thread.
class GroupAnswerer {
 public:
  explicit GroupAnswerer(std::chrono::microseconds delay) : delay_(delay) {}
  void Push(std::function<void()> answer) {
    absl::MutexLock l(&mu_);
    pending_.push_back(std::move(answer));
    cv_.Signal();
  }
  void Run() {
    for (;;) {
      std::deque<std::function<void()>> group;
      {
        absl::MutexLock l(&mu_);
        while (pending_.empty()) cv_.Wait(&mu_);
      }
      std::this_thread::sleep_for(delay_);  // the group's "fsync"
      {
        absl::MutexLock l(&mu_);
        group.swap(pending_);
      }
      for (std::function<void()>& answer : group) answer();
    }
  }

 private:
  const std::chrono::microseconds delay_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<std::function<void()>> pending_;
};

class FloorService final
    : public pb::InventoryService::WithAsyncMethod_AcquireLots<pb::InventoryService::Service> {
  grpc::Status CreateDepot(grpc::ServerContext*, const pb::CreateDepotRequest*,
                           pb::DepotResponse*) override {
    return grpc::Status::OK;
  }
};

struct Call {
  grpc::ServerContext context;
  pb::AcquireLotsRequest request;
  pb::AcquireLotsResponse response;
  grpc::ServerAsyncResponseWriter<pb::AcquireLotsResponse> writer{&context};
  bool finishing = false;
};

void Arm(FloorService& service, grpc::ServerCompletionQueue* cq) {
  auto* call = new Call;
  service.RequestAcquireLots(&call->context, &call->request, &call->writer, cq, cq, call);
}

void Serve(FloorService& service, GroupAnswerer& answerer, grpc::ServerCompletionQueue* cq) {
  constexpr int kWaitsPerQueue = 64;
  for (int i = 0; i < kWaitsPerQueue; ++i) Arm(service, cq);
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    if (call->finishing || !ok) {
      delete call;
      continue;
    }
    Arm(service, cq);
    call->finishing = true;
    answerer.Push([call] {
      for (const pb::Lot& lot : call->request.lots()) call->response.add_lot_ids(lot.lot_id());
      call->writer.Finish(call->response, grpc::Status::OK, call);
    });
  }
}

int Main(int argc, char** argv) {
  CLI::App app{"grpc-floor: an AcquireLots server with nothing behind it (see the header)"};
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  int threads = 2;
  int group_us = 300;
  app.add_option("--listen", listen, "address to listen on");
  app.add_option("--port-file", port_file, "write the bound port here");
  app.add_option("--threads", threads, "completion-queue threads")->check(CLI::Range(1, 64));
  app.add_option("--group-us", group_us, "delay before a group is answered (its fsync)")
      ->check(CLI::Range(0, 1'000'000));
  CLI11_PARSE(app, argc, argv);

  FloorService service;
  GroupAnswerer answerer{std::chrono::microseconds(group_us)};
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  for (int i = 0; i < threads; ++i) queues.push_back(builder.AddCompletionQueue());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "grpc-floor: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::printf("grpc-floor listening on port %d\n", port);
  std::fflush(stdout);
  if (!port_file.empty()) std::ofstream(port_file) << port;
  std::thread([&answerer] { answerer.Run(); }).detach();
  std::vector<std::thread> servers;
  for (auto& q : queues) servers.emplace_back([&service, &answerer, cq = q.get()] {
    Serve(service, answerer, cq);
  });
  server->Wait();  // runs until killed
  return 0;
}

}  // namespace
}  // namespace reserve::bench

int main(int argc, char** argv) { return reserve::bench::Main(argc, argv); }
