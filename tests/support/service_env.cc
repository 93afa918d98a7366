#include "tests/support/service_env.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace reserve::testing {

std::string DeploymentName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

v1::Date Day(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

absl::StatusOr<std::unique_ptr<Authorizer>> MakeAuthorizer(absl::string_view token_table) {
  absl::StatusOr<std::unique_ptr<TokenTable>> tokens = TokenTable::Parse(token_table, "test");
  if (!tokens.ok()) {
    return tokens.status();
  }
  return std::make_unique<Authorizer>(*std::move(tokens));
}

absl::StatusOr<std::unique_ptr<TestLedger>> TestLedger::Create(absl::string_view deployment,
                                                               absl::string_view prefix) {
  std::unique_ptr<TestLedger> out(new TestLedger());
  if (deployment == "split") {
    absl::StatusOr<std::unique_ptr<InProcessLedgerServer>> server = InProcessLedgerServer::Start();
    if (!server.ok()) {
      return server.status();
    }
    out->ledger_server_ = *std::move(server);
    out->ledger_ = &out->ledger_server_->remote();
    return out;
  }
  if (deployment != "embedded") {
    return absl::InvalidArgumentError(absl::StrCat("unknown deployment '", deployment, "'"));
  }
  absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create(prefix);
  if (!dir.ok()) {
    return dir.status();
  }
  out->dir_ = *std::move(dir);
  if (absl::Status st = out->OpenEmbedded(); !st.ok()) {
    return st;
  }
  return out;
}

TestLedger::~TestLedger() {
  // The store closes before its directory goes (dir_ is destroyed last).
  rocks_.reset();
  ledger_server_.reset();
}

absl::Status TestLedger::OpenEmbedded() {
  ledger::RocksLedgerOptions options;
  options.directory = dir_->Sub("db");
  options.sync_writes = false;  // keeps tests fast; the logic under test does not depend on fsync
  absl::StatusOr<std::unique_ptr<ledger::RocksLedger>> rocks = ledger::RocksLedger::Open(options);
  if (!rocks.ok()) {
    return rocks.status();
  }
  rocks_ = *std::move(rocks);
  ledger_ = rocks_.get();
  return absl::OkStatus();
}

absl::Status TestLedger::Reopen() {
  if (rocks_ == nullptr) {
    return absl::OkStatus();  // split: the ledger server stays up
  }
  ledger_ = nullptr;
  rocks_.reset();
  return OpenEmbedded();
}

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start(
    const std::vector<grpc::Service*>& services) {
  std::unique_ptr<TestServer> out(new TestServer());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : services) {
    builder.RegisterService(service);
  }
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  out->async_ = std::make_unique<AsyncHost>(/*threads=*/1);
  out->async_->AddQueues(builder);
  out->server_ = builder.BuildAndStart();
  if (out->server_ == nullptr || port <= 0) {
    return absl::UnavailableError("the test server did not start on 127.0.0.1:0");
  }
  out->async_->Start(services);
  out->address_ = absl::StrCat("127.0.0.1:", port);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  out->channel_ =
      grpc::CreateCustomChannel(out->address_, grpc::InsecureChannelCredentials(), args);
  return out;
}

TestServer::~TestServer() {
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  async_->Stop();
}

void ServiceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<TestLedger>> ledger = TestLedger::Create(GetParam(), prefix_);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  test_ledger_ = *std::move(ledger);
  absl::StatusOr<std::unique_ptr<Authorizer>> authorizer = MakeAuthorizer(token_table_);
  ASSERT_TRUE(authorizer.ok()) << authorizer.status();
  authorizer_ = *std::move(authorizer);
}

}  // namespace reserve::testing
