// Unary methods served from completion queues (gRPC's async API) beside the sync ones.
//
// A sync handler holds a server thread for the whole call, so a commit that waits for a group
// fsync parks one thread per call in flight, and every call costs a thread hand-off each way.
// Here the handler runs on a queue thread, starts the work and returns; whoever finishes the
// work (e.g. the ledger's durability thread, through Ledger::CommitAsync) calls the Reply,
// which sends the answer. Measured on the 2-core machine with a handler that answers from
// another thread in groups, as the ledger does: ~50 us of server CPU per call against ~110 us
// for a sync handler that waits (README "Speed").
//
// A service opts in per method: it derives from the generated WithRawMethod_X<...> for each,
// and implements AsyncMethods to arm them. Raw, so that the bytes are parsed here: a request
// that is not a valid message gets INVALID_ARGUMENT (gRPC's own async parsing would cancel
// the call with INTERNAL). Whoever builds the server runs one AsyncHost
// for all its services: AddQueues before BuildAndStart, Start after, Stop after Shutdown.
#ifndef RESERVE_SERVICES_COMMON_ASYNC_UNARY_H_
#define RESERVE_SERVICES_COMMON_ASYNC_UNARY_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace reserve {

// A call's answer: sends the response (when the status is OK) or the status. Call it exactly
// once, from any thread.
using Reply = std::function<void(const grpc::Status&)>;

class AsyncHost;

// Implemented by a service with async methods: starts one wait for a call of each of them on
// `cq` (ArmUnary below). The host calls it several times per queue, so calls arriving
// together find a wait.
class AsyncMethods {
 public:
  virtual ~AsyncMethods() = default;
  virtual void ArmAll(grpc::ServerCompletionQueue* cq, AsyncHost& host) = 0;
};

// What the host's threads drive: a call's next step.
class AsyncTag {
 public:
  virtual ~AsyncTag() = default;
  virtual void Proceed(bool ok) = 0;
};

class AsyncHost {
 public:
  explicit AsyncHost(int threads);
  ~AsyncHost();  // Stop()
  AsyncHost(const AsyncHost&) = delete;
  AsyncHost& operator=(const AsyncHost&) = delete;

  // Before BuildAndStart: one completion queue per thread.
  void AddQueues(grpc::ServerBuilder& builder);
  // After BuildAndStart: arms the methods of every service in `services` that implements
  // AsyncMethods (the others are left alone), then starts the threads.
  void Start(const std::vector<grpc::Service*>& services);
  // After the server's Shutdown returned: waits until every call given to a handler has been
  // answered, then shuts the queues down and joins the threads. Idempotent.
  void Stop();

  // For calls: BeginCall before a handler runs (false: stopping, drop the call); EndCall once
  // its Reply has handed the answer to gRPC.
  bool BeginCall();
  void EndCall();

 private:
  const int threads_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ = false;
};

// One async unary method: how to wait for a call (the generated raw RequestX) and what to do
// with one.
template <typename Request, typename Response>
struct UnaryMethod {
  std::function<void(grpc::ServerContext*, grpc::ByteBuffer*,
                     grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>*,
                     grpc::ServerCompletionQueue*, void* tag)>
      request;
  std::function<void(grpc::ServerContext*, const Request&, Response*, Reply)> handle;
  const char* name = "";  // the full method name, for errors
};

namespace async_internal {

template <typename Request, typename Response>
class UnaryCall final : public AsyncTag {
 public:
  using Method = UnaryMethod<Request, Response>;

  static void Arm(std::shared_ptr<const Method> method, grpc::ServerCompletionQueue* cq,
                  AsyncHost& host) {
    auto* call = new UnaryCall(std::move(method), cq, host);
    call->method_->request(&call->context_, &call->raw_request_, &call->writer_, cq, call);
  }

  void Proceed(bool ok) override {
    // The second event is the answer's (sent or not); a failed wait means the server is
    // shutting down.
    if (answered_.load(std::memory_order_acquire) || !ok || !host_.BeginCall()) {
      delete this;
      return;
    }
    Arm(method_, cq_, host_);  // the next call of this method on this queue
    Reply reply = [this](const grpc::Status& status) {
      AsyncHost& host = host_;
      grpc::ByteBuffer bytes;
      grpc::Status sent = status;
      bool own = false;
      if (sent.ok()) sent = grpc::SerializationTraits<Response>::Serialize(response_, &bytes, &own);
      answered_.store(true, std::memory_order_release);
      if (sent.ok()) {
        writer_.Finish(bytes, sent, this);  // `this` may be gone once Finish returns
      } else {
        writer_.FinishWithError(sent, this);
      }
      host.EndCall();
    };
    Request request;
    if (!grpc::SerializationTraits<Request>::Deserialize(&raw_request_, &request).ok()) {
      return reply(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                std::string("the request is not a valid message for ") +
                                    method_->name));
    }
    method_->handle(&context_, request, &response_, std::move(reply));
  }

 private:
  UnaryCall(std::shared_ptr<const Method> method, grpc::ServerCompletionQueue* cq, AsyncHost& host)
      : method_(std::move(method)), cq_(cq), host_(host), writer_(&context_) {}

  const std::shared_ptr<const Method> method_;
  grpc::ServerCompletionQueue* const cq_;
  AsyncHost& host_;
  grpc::ServerContext context_;
  grpc::ByteBuffer raw_request_;
  Response response_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> writer_;
  std::atomic<bool> answered_{false};
};

}  // namespace async_internal

// The UnaryMethod of `service`'s generated raw RequestX (from WithRawMethod_X) and its
// handler member, e.g. MakeUnaryMethod<Req, Resp>(this, "/reserve.v1.InventoryService/
// AcquireLots", &Impl::RequestAcquireLots, &Impl::AcquireLots).
template <typename Request, typename Response, typename Service, typename RequestMember,
          typename HandleMember>
std::shared_ptr<const UnaryMethod<Request, Response>> MakeUnaryMethod(Service* service,
                                                                      const char* name,
                                                                      RequestMember request,
                                                                      HandleMember handle) {
  return std::make_shared<const UnaryMethod<Request, Response>>(UnaryMethod<Request, Response>{
      [service, request](grpc::ServerContext* context, grpc::ByteBuffer* r,
                         grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>* writer,
                         grpc::ServerCompletionQueue* cq,
                         void* tag) { (service->*request)(context, r, writer, cq, cq, tag); },
      [service, handle](grpc::ServerContext* context, const Request& r, Response* out,
                        Reply reply) { (service->*handle)(context, r, out, std::move(reply)); },
      name});
}

// Starts one wait for a call of `method` on `cq`; each arriving call starts the next.
template <typename Request, typename Response>
void ArmUnary(std::shared_ptr<const UnaryMethod<Request, Response>> method,
              grpc::ServerCompletionQueue* cq, AsyncHost& host) {
  async_internal::UnaryCall<Request, Response>::Arm(std::move(method), cq, host);
}

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_ASYNC_UNARY_H_
