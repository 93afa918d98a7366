#include "services/ledger/testing/in_process_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace reserve::testing {

namespace {

absl::StatusOr<std::string> MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/reserve-inproc-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  return pattern;
}

std::string TokenLines() {
  return absl::StrCat(kInProcessAllToken, " inproc-all service,admin,auditor\n",
                      kInProcessServiceToken, " inproc-service service\n", kInProcessAdminToken,
                      " inproc-admin admin\n", kInProcessAuditorToken, " inproc-auditor auditor\n",
                      kInProcessFinanceToken, " inproc-finance finance\n");
}

}  // namespace

absl::StatusOr<std::unique_ptr<InProcessLedgerServer>> InProcessLedgerServer::Start(
    InProcessServerOptions options) {
  std::unique_ptr<InProcessLedgerServer> server(new InProcessLedgerServer());
  absl::StatusOr<std::string> dir = MakeTempDir();
  if (!dir.ok()) {
    return dir.status();
  }
  server->temp_dir_ = *dir;

  ledger::RocksLedgerOptions ledger_options;
  ledger_options.directory = server->data_dir();
  ledger_options.sync_writes = options.sync_writes;
  absl::StatusOr<std::unique_ptr<ledger::RocksLedger>> local =
      ledger::RocksLedger::Open(ledger_options);
  if (!local.ok()) {
    return local.status();
  }
  server->local_ = *std::move(local);

  absl::StatusOr<std::unique_ptr<TokenTable>> tokens =
      TokenTable::Parse(TokenLines(), "in-process tokens");
  if (!tokens.ok()) {
    return tokens.status();
  }
  server->authorizer_ = std::make_unique<Authorizer>(*std::move(tokens));
  server->service_ =
      std::make_unique<LedgerServiceImpl>(server->local_.get(), server->authorizer_.get());

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(ledger::kMaxRequestMessageBytes);
  builder.SetMaxSendMessageSize(ledger::kMaxResponseMessageBytes);
  server->identity_ = std::make_unique<IdentityServiceImpl>(server->authorizer_.get());
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->identity_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError("in-process server failed to start");
  }
  server->address_ = absl::StrCat("127.0.0.1:", port);

  absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> remote =
      server->Connect(kInProcessAllToken);
  if (!remote.ok()) {
    return remote.status();
  }
  server->remote_ = *std::move(remote);
  return server;
}

InProcessLedgerServer::~InProcessLedgerServer() {
  if (server_ != nullptr) {
    service_->BeginShutdown();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
  }
  remote_.reset();
  server_.reset();
  service_.reset();
  if (local_ != nullptr) {
    local_->Shutdown();
    local_.reset();
  }
  if (!temp_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir_, ignored);
  }
}

absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> InProcessLedgerServer::Connect(
    absl::string_view token) const {
  ledger::RemoteLedgerOptions options;
  options.bearer_token = std::string(token);
  options.own_channel = true;
  return ledger::RemoteLedger::Connect(address_, std::move(options));
}

namespace {

class ServedRemoteLedger final : public ledger::Ledger {
 public:
  explicit ServedRemoteLedger(std::unique_ptr<InProcessLedgerServer> server)
      : server_(std::move(server)), remote_(&server_->remote()) {}

  absl::StatusOr<ledger::Receipt> Commit(const ledger::Transaction& tx) override {
    return remote_->Commit(tx);
  }
  absl::StatusOr<ledger::Head> GetHead() override { return remote_->GetHead(); }
  absl::StatusOr<ledger::RecordSet> GetRecords(absl::Span<const std::string> keys,
                                               const ledger::ReadOptions& options) override {
    return remote_->GetRecords(keys, options);
  }
  absl::StatusOr<ledger::RecordPage> ScanRecords(absl::string_view prefix, const ledger::Page& page,
                                                 const ledger::ReadOptions& options) override {
    return remote_->ScanRecords(prefix, page, options);
  }
  absl::StatusOr<std::vector<ledger::Seq>> RecordHistory(
      absl::string_view key, const ledger::ReadOptions& options) override {
    return remote_->RecordHistory(key, options);
  }
  absl::StatusOr<ledger::BalanceSet> GetBalances(absl::Span<const std::string> accounts,
                                                 const ledger::ReadOptions& options) override {
    return remote_->GetBalances(accounts, options);
  }
  absl::StatusOr<ledger::BalancePage> ScanBalances(absl::string_view prefix,
                                                   const ledger::Page& page,
                                                   const ledger::ReadOptions& options) override {
    return remote_->ScanBalances(prefix, page, options);
  }
  absl::StatusOr<ledger::BalanceSet> GetBalancesAsOfDate(
      absl::Span<const std::string> accounts, absl::CivilDay date,
      const ledger::ReadOptions& options) override {
    return remote_->GetBalancesAsOfDate(accounts, date, options);
  }
  absl::StatusOr<ledger::MovementPage> AccountHistory(absl::string_view account,
                                                      const ledger::Page& page,
                                                      const ledger::ReadOptions& options) override {
    return remote_->AccountHistory(account, page, options);
  }
  absl::StatusOr<std::vector<ledger::JournalEntry>> ReadJournal(ledger::Seq from_seq,
                                                                size_t max_entries) override {
    return remote_->ReadJournal(from_seq, max_entries);
  }
  absl::Status Watch(ledger::Seq from_seq, const ledger::WatchCallback& on_entry,
                     const ledger::StopPredicate& stop) override {
    return remote_->Watch(from_seq, on_entry, stop);
  }
  absl::StatusOr<ledger::VerifyReport> Verify() override { return remote_->Verify(); }
  absl::StatusOr<ledger::Head> Backup(const std::string& directory) override {
    return remote_->Backup(directory);
  }

 private:
  const std::unique_ptr<InProcessLedgerServer> server_;
  ledger::RemoteLedger* const remote_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ledger::Ledger>> StartServedRemoteLedger(
    InProcessServerOptions options) {
  absl::StatusOr<std::unique_ptr<InProcessLedgerServer>> server =
      InProcessLedgerServer::Start(options);
  if (!server.ok()) {
    return server.status();
  }
  return std::make_unique<ServedRemoteLedger>(*std::move(server));
}

}  // namespace reserve::testing
