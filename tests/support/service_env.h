// The fixture pieces every in-process service suite shares (tests/inventory, tests/decision,
// tests/commercial): the ledger of a deployment ("embedded" or "split"), a real gRPC server on
// 127.0.0.1:<any free port> for the services under test, the bearer-token authorizer, and
// calls that send a token and come back as an Outcome. A fixture builds its own services over
// TestLedger::ledger() and serves them with TestServer.
#ifndef RESERVE_TESTS_SUPPORT_SERVICE_ENV_H_
#define RESERVE_TESTS_SUPPORT_SERVICE_ENV_H_

#include <grpcpp/channel.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/server.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reserve/v1/ledger.pb.h"
#include "services/common/async_unary.h"
#include "services/common/auth.h"
#include "services/common/grpc_status.h"
#include "services/ledger/testing/in_process_server.h"
#include "storage/errors.h"
#include "storage/ledger.h"
#include "storage/rocks_ledger.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"

namespace reserve::testing {

// The two deployments every service suite runs in, and their names as test-name suffixes:
// INSTANTIATE_TEST_SUITE_P(Deployments, T, kDeployments, DeploymentName).
inline const auto kDeployments = ::testing::Values(std::string("embedded"), std::string("split"));
std::string DeploymentName(const ::testing::TestParamInfo<std::string>& info);

// A calendar date as the protos carry it.
v1::Date Day(int y, int m, int d);

// What a call returned, as an absl::Status (reason and field restored from the detail).
struct Outcome {
  absl::Status status;
  absl::StatusCode code() const { return status.code(); }
  std::optional<std::string> reason() const { return ReasonOf(status); }
  std::optional<std::string> field() const { return FieldOf(status); }
};

// Calls `method` on `stub` as the holder of `token` (no token when empty), with the generous
// deadline of ContextWithToken.
template <typename Stub, typename Req, typename Resp>
Outcome CallAs(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
               const Req& request, Resp* response, absl::string_view token) {
  std::unique_ptr<grpc::ClientContext> context = ContextWithToken(token);
  return Outcome{FromGrpcStatus((stub.*method)(context.get(), request, response))};
}

// The authorizer over a token table written inline (`<token> <name> <role>[,<role>...]`).
absl::StatusOr<std::unique_ptr<Authorizer>> MakeAuthorizer(absl::string_view token_table);

// The ledger of one deployment. "embedded": a RocksLedger (no fsync) in a fresh scratch dir;
// "split": a RemoteLedger to a LedgerService over its own RocksLedger, served in this process.
class TestLedger {
 public:
  // `prefix` names the scratch dir (RESERVE_KEEP_TMP keeps it).
  static absl::StatusOr<std::unique_ptr<TestLedger>> Create(absl::string_view deployment,
                                                            absl::string_view prefix);
  TestLedger(const TestLedger&) = delete;
  TestLedger& operator=(const TestLedger&) = delete;
  ~TestLedger();

  ledger::Ledger& ledger() { return *ledger_; }

  // A restart of the store: embedded closes the RocksLedger and opens it again (everything
  // built over ledger() must be gone first); split keeps its ledger server running.
  absl::Status Reopen();

 private:
  TestLedger() = default;
  absl::Status OpenEmbedded();

  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ledger::RocksLedger> rocks_;
  std::unique_ptr<InProcessLedgerServer> ledger_server_;
  ledger::Ledger* ledger_ = nullptr;
};

// A real gRPC server on 127.0.0.1:<any free port> hosting `services` (owned by the caller,
// and outliving the server), and one channel to it.
class TestServer {
 public:
  // A backtest with its CSV and SVG is a few MiB, above gRPC's default of 4 MiB.
  static constexpr int kMaxMessageBytes = 64 << 20;

  static absl::StatusOr<std::unique_ptr<TestServer>> Start(
      const std::vector<grpc::Service*>& services);
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  // Shuts down at once: open streams are cancelled.
  ~TestServer();

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  // A new stub of `Service` on the shared channel.
  template <typename Service>
  std::unique_ptr<typename Service::Stub> NewStub() const {
    return Service::NewStub(channel_);
  }

 private:
  TestServer() = default;

  // Serves the services' async methods, as reserved does (declared first: stopped last).
  std::unique_ptr<AsyncHost> async_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Base fixture of the in-process service suites, parameterized by deployment: SetUp opens
// the TestLedger GetParam() names and the authorizer over the suite's token table. The
// derived fixture calls ServiceTest::SetUp() first, then builds its services over ledger()
// with authorizer() and serves them with TestServer; its members go before these, so the
// server and services stop before the ledger closes.
class ServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  // `token_table` as MakeAuthorizer reads it; `prefix` names the embedded scratch dir.
  ServiceTest(absl::string_view token_table, absl::string_view prefix)
      : token_table_(token_table), prefix_(prefix) {}

  void SetUp() override;

  ledger::Ledger& ledger() { return test_ledger_->ledger(); }
  TestLedger& test_ledger() { return *test_ledger_; }
  Authorizer& authorizer() { return *authorizer_; }

 private:
  const std::string token_table_;
  const std::string prefix_;
  std::unique_ptr<TestLedger> test_ledger_;
  std::unique_ptr<Authorizer> authorizer_;
};

}  // namespace reserve::testing

#endif  // RESERVE_TESTS_SUPPORT_SERVICE_ENV_H_
