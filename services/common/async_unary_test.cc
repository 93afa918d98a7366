#include "services/common/async_unary.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "reserve/v1/identity.grpc.pb.h"
#include "tests/support/raw_call.h"

namespace reserve {
namespace {

namespace v1 = ::reserve::v1;

// WhoAmI served asynchronously: each call's answer is given by a separate "worker" thread,
// as the ledger's durability thread answers an acquisition. The answer names the caller's
// "x-name" metadata. While `hold` is set, answers wait until Release().
class DeferredIdentity final
    : public v1::IdentityService::WithRawMethod_WhoAmI<v1::IdentityService::Service>,
      public AsyncMethods {
 public:
  DeferredIdentity() : worker_([this] { Work(); }) {}
  ~DeferredIdentity() override {
    {
      absl::MutexLock l(&mu_);
      done_ = true;
    }
    worker_.join();
  }

  void ArmAll(grpc::ServerCompletionQueue* cq, AsyncHost& host) override {
    if (method_ == nullptr) {
      method_ = MakeUnaryMethod<v1::WhoAmIRequest, v1::Principal>(
          this, "/reserve.v1.IdentityService/WhoAmI", &DeferredIdentity::RequestWhoAmI,
          &DeferredIdentity::WhoAmI);
    }
    ArmUnary(method_, cq, host);
  }

  // Answers, from the worker thread, with the caller's "x-name" metadata.
  void WhoAmI(grpc::ServerContext* c, const v1::WhoAmIRequest&, v1::Principal* out, Reply reply) {
    auto name = c->client_metadata().find("x-name");
    if (name == c->client_metadata().end()) {
      return reply(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no x-name"));
    }
    std::string who(name->second.data(), name->second.size());
    absl::MutexLock l(&mu_);
    ++handled_;
    queue_.push_back([out, who, reply = std::move(reply)] {
      out->set_name(who);
      reply(grpc::Status::OK);
    });
  }

  void Hold() {
    absl::MutexLock l(&mu_);
    hold_ = true;
  }
  void Release() {
    absl::MutexLock l(&mu_);
    hold_ = false;
  }
  int handled() {
    absl::MutexLock l(&mu_);
    return handled_;
  }

 private:
  void Work() {
    for (;;) {
      std::deque<std::function<void()>> batch;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(this, &DeferredIdentity::Ready));
        if (queue_.empty() && done_) return;
        batch.swap(queue_);
      }
      for (auto& answer : batch) answer();
    }
  }
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done_ || (!hold_ && !queue_.empty());
  }

  std::shared_ptr<const UnaryMethod<v1::WhoAmIRequest, v1::Principal>> method_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  int handled_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread worker_;
};

class AsyncUnaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    host_.AddQueues(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    host_.Start({&service_});
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::IdentityService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    host_.Stop();
  }

  grpc::Status Call(const std::string& name, v1::Principal* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!name.empty()) ctx.AddMetadata("x-name", name);
    return stub_->WhoAmI(&ctx, v1::WhoAmIRequest(), out);
  }

  DeferredIdentity service_;  // outlives the host and the server (declared first)
  AsyncHost host_{2};
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IdentityService::Stub> stub_;
};

TEST_F(AsyncUnaryTest, AnswersGivenFromAnotherThreadReachTheirCallers) {
  constexpr int kCallers = 16;
  constexpr int kCallsEach = 20;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kCallsEach; ++i) {
        std::string name = absl::StrCat("caller-", c, "-", i);
        v1::Principal out;
        grpc::Status s = Call(name, &out);
        if (!s.ok() || out.name() != name) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(service_.handled(), kCallers * kCallsEach);
}

TEST_F(AsyncUnaryTest, AnErrorAnsweredInlineKeepsItsStatus) {
  v1::Principal out;
  grpc::Status s = Call("", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "no x-name");
  // The queue thread armed the next wait before handling: later calls are served.
  EXPECT_TRUE(Call("after", &out).ok());
  EXPECT_EQ(out.name(), "after");
}

TEST_F(AsyncUnaryTest, BytesThatAreNotTheRequestMessageAreInvalidArgument) {
  const std::string junk("\xff\xff\xff\xff\x0f not a message", 20);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-name", "junk");
  grpc::Status status =
      testing::CallWithRawBytes(channel_, ctx, "/reserve.v1.IdentityService/WhoAmI", junk);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request is not a valid message for /reserve.v1.IdentityService/WhoAmI");
  EXPECT_EQ(service_.handled(), 0);
  // The queue keeps serving.
  v1::Principal out;
  EXPECT_TRUE(Call("after", &out).ok());
  EXPECT_EQ(out.name(), "after");
}

TEST_F(AsyncUnaryTest, StopWaitsForAnswersStillToCome) {
  service_.Hold();
  v1::Principal out;
  grpc::Status held;
  std::thread caller([&] { held = Call("held", &out); });
  while (service_.handled() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The server shuts down with the call unanswered (its deadline cancels it); Stop must not
  // close the queues while the answer is still to come, or Finish would use a closed queue.
  server_->Shutdown(std::chrono::system_clock::now());
  absl::Notification stopped;
  std::thread stopper([&] {
    host_.Stop();
    stopped.Notify();
  });
  EXPECT_FALSE(stopped.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  service_.Release();
  stopped.WaitForNotification();
  stopper.join();
  caller.join();
  EXPECT_FALSE(held.ok());  // cancelled by the shutdown, not answered
  server_.reset();
}

}  // namespace
}  // namespace reserve
