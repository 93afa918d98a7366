// LedgerService over a real gRPC server in this process: authentication, access, wire
// validation, status details, Watch.
#include "services/ledger/ledger_service.h"

#include <grpcpp/create_channel.h>

#include <atomic>

#include "gtest/gtest.h"
#include "reserve/v1/error.pb.h"
#include "reserve/v1/identity.grpc.pb.h"
#include "services/common/credentials.h"
#include "services/ledger/testing/in_process_server.h"
#include "storage/errors.h"

namespace reserve {
namespace {

using testing::InProcessLedgerServer;

ledger::Transaction ValidTransaction(absl::string_view request_id) {
  ledger::Transaction tx;
  tx.request_id = std::string(request_id);
  tx.kind = "test.move";
  tx.principal = "admin:alice";
  tx.business_date = absl::CivilDay(2024, 1, 2);
  tx.open_accounts = {{"cu:a", "g:CU", false}, {"cu:b", "g:CU", false}};
  tx.postings = {{"cu:a", 5}, {"cu:b", -5}};
  return tx;
}

class LedgerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<InProcessLedgerServer>> server = InProcessLedgerServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::LedgerService::NewStub(channel_);
  }

  std::unique_ptr<ledger::RemoteLedger> Client(absl::string_view token) {
    absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> client = server_->Connect(token);
    EXPECT_TRUE(client.ok());
    return *std::move(client);
  }

  // Sends `request` as the service principal; returns the status and checks nothing was
  // written.
  grpc::Status CommitRaw(const v1::CommitRequest& request) {
    const uint64_t head_before = server_->local().GetHead()->seq;
    grpc::ClientContext context;
    AttachToken(testing::kInProcessServiceToken, &context);
    v1::Receipt receipt;
    grpc::Status status = stub_->Commit(&context, request, &receipt);
    if (!status.ok()) {
      EXPECT_EQ(server_->local().GetHead()->seq, head_before) << "a rejected commit wrote";
    }
    return status;
  }

  static std::string FieldIn(const grpc::Status& status) {
    v1::ErrorDetail detail;
    EXPECT_TRUE(detail.ParseFromString(status.error_details())) << status.error_message();
    return detail.field();
  }

  static v1::CommitRequest ValidRequest(absl::string_view request_id) {
    v1::CommitRequest request;
    v1::Transaction* tx = request.mutable_transaction();
    tx->set_request_id(std::string(request_id));
    tx->set_kind("test.move");
    tx->set_principal("admin:alice");
    tx->mutable_business_date()->set_year(2024);
    tx->mutable_business_date()->set_month(1);
    tx->mutable_business_date()->set_day(2);
    for (const char* id : {"cu:a", "cu:b"}) {
      v1::AccountSpec* spec = tx->add_open_accounts();
      spec->set_id(id);
      spec->set_unit("g:CU");
    }
    v1::Posting* in = tx->add_postings();
    in->set_account("cu:a");
    in->set_amount(5);
    v1::Posting* out = tx->add_postings();
    out->set_account("cu:b");
    out->set_amount(-5);
    return request;
  }

  std::unique_ptr<InProcessLedgerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LedgerService::Stub> stub_;
};

TEST_F(LedgerServiceTest, NoTokenIsUnauthenticated) {
  EXPECT_EQ(Client("")->GetHead().status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Client("not-a-token")->GetHead().status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Client("")->Commit(ValidTransaction("r1")).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(LedgerServiceTest, FinanceMayNotCommitOrRead) {
  auto finance = Client(testing::kInProcessFinanceToken);
  absl::StatusOr<ledger::Receipt> receipt = finance->Commit(ValidTransaction("r1"));
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(receipt.status().message().find("service"), absl::string_view::npos);
  EXPECT_EQ(finance->GetHead().status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(server_->local().GetHead()->seq, 0u);
}

TEST_F(LedgerServiceTest, AdminMayNotCommitButMayBackup) {
  auto admin = Client(testing::kInProcessAdminToken);
  EXPECT_EQ(admin->Commit(ValidTransaction("r1")).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto auditor = Client(testing::kInProcessAuditorToken);
  EXPECT_EQ(auditor->Backup(server_->data_dir() + "-backup").status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<ledger::VerifyReport> report = auditor->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok);
}

TEST_F(LedgerServiceTest, ServiceCommitsAndReads) {
  auto service = Client(testing::kInProcessServiceToken);
  absl::StatusOr<ledger::Receipt> receipt = service->Commit(ValidTransaction("r1"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->seq, 1u);
  EXPECT_FALSE(receipt->replayed);
  absl::StatusOr<ledger::Receipt> again = service->Commit(ValidTransaction("r1"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, 1u);

  const std::vector<std::string> accounts = {"cu:a", "cu:b", "cu:none"};
  absl::StatusOr<ledger::BalanceSet> balances = service->GetBalances(accounts, {});
  ASSERT_TRUE(balances.ok()) << balances.status();
  ASSERT_EQ(balances->balances.size(), 3u);
  EXPECT_EQ(balances->balances[0].amount, 5);
  EXPECT_EQ(balances->balances[1].amount, -5);
  EXPECT_FALSE(balances->balances[2].exists);

  absl::StatusOr<std::vector<ledger::JournalEntry>> journal = service->ReadJournal(1, 10);
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ(journal->front().tx, ValidTransaction("r1"));
}

TEST_F(LedgerServiceTest, ReasonSurvivesTheWire) {
  auto service = Client(testing::kInProcessServiceToken);
  ledger::Transaction tx = ValidTransaction("r1");
  tx.postings[1].amount = -4;
  absl::StatusOr<ledger::Receipt> receipt = service->Commit(tx);
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(receipt.status()), reason::kUnbalanced);
}

TEST_F(LedgerServiceTest, FieldNamesMatchTheInProcessLedger) {
  auto service = Client(testing::kInProcessServiceToken);
  ledger::Transaction tx = ValidTransaction("r1");
  tx.postings[0].amount = 0;
  absl::Status local = server_->local().Commit(tx).status();
  absl::Status remote = service->Commit(tx).status();
  EXPECT_EQ(local.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(remote.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(remote), FieldOf(local));
}

TEST_F(LedgerServiceTest, MalformedCommitRequestsAreInvalidAndWriteNothing) {
  ASSERT_TRUE(CommitRaw(ValidRequest("ok-1")).ok());

  struct Case {
    const char* name;
    std::function<void(v1::CommitRequest*)> mutate;
    const char* field;
  };
  const Case cases[] = {
      {"no transaction", [](v1::CommitRequest* r) { r->clear_transaction(); }, "transaction"},
      {"no business date",
       [](v1::CommitRequest* r) { r->mutable_transaction()->clear_business_date(); },
       "transaction.business_date"},
      {"month 13",
       [](v1::CommitRequest* r) {
         r->mutable_transaction()->mutable_business_date()->set_month(13);
       },
       "transaction.business_date"},
      {"30 February",
       [](v1::CommitRequest* r) {
         r->mutable_transaction()->mutable_business_date()->set_month(2);
         r->mutable_transaction()->mutable_business_date()->set_day(30);
       },
       "transaction.business_date"},
      {"year 1800",
       [](v1::CommitRequest* r) {
         r->mutable_transaction()->mutable_business_date()->set_year(1800);
       },
       "transaction.business_date"},
      {"zero amount",
       [](v1::CommitRequest* r) { r->mutable_transaction()->mutable_postings(0)->set_amount(0); },
       "transaction.postings[0].amount"},
      {"no principal", [](v1::CommitRequest* r) { r->mutable_transaction()->clear_principal(); },
       "transaction.principal"},
      {"no request id", [](v1::CommitRequest* r) { r->mutable_transaction()->clear_request_id(); },
       "transaction.request_id"},
  };
  for (const Case& c : cases) {
    v1::CommitRequest request = ValidRequest(absl::StrCat("bad-", c.name));
    c.mutate(&request);
    grpc::Status status = CommitRaw(request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_EQ(FieldIn(status), c.field) << c.name << ": " << status.error_message();
  }
  EXPECT_EQ(server_->local().GetHead()->seq, 1u);
}

TEST_F(LedgerServiceTest, NegativePageSizeIsInvalid) {
  grpc::ClientContext context;
  AttachToken(testing::kInProcessAuditorToken, &context);
  v1::ScanRecordsRequest request;
  request.set_page_size(-1);
  v1::ScanRecordsResponse response;
  grpc::Status status = stub_->ScanRecords(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldIn(status), "page_size");
}

TEST_F(LedgerServiceTest, WhoAmI) {
  auto identity = v1::IdentityService::NewStub(channel_);
  grpc::ClientContext context;
  AttachToken(testing::kInProcessFinanceToken, &context);
  v1::Principal principal;
  ASSERT_TRUE(identity->WhoAmI(&context, v1::WhoAmIRequest(), &principal).ok());
  EXPECT_EQ(principal.name(), "inproc-finance");
  ASSERT_EQ(principal.roles_size(), 1);
  EXPECT_EQ(principal.roles(0), "finance");

  grpc::ClientContext anonymous;
  EXPECT_EQ(identity->WhoAmI(&anonymous, v1::WhoAmIRequest(), &principal).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(LedgerServiceTest, WatchStreamsThenStopsOnCallback) {
  auto service = Client(testing::kInProcessServiceToken);
  for (int i = 1; i <= 3; ++i) {
    ledger::Transaction tx = ValidTransaction(absl::StrCat("r", i));
    if (i > 1) {
      tx.open_accounts.clear();
    }
    ASSERT_TRUE(service->Commit(tx).ok());
  }
  std::vector<ledger::Seq> seen;
  absl::Status status = service->Watch(
      2,
      [&](const ledger::JournalEntry& entry) {
        seen.push_back(entry.seq);
        return entry.seq < 3;
      },
      [] { return false; });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(seen, (std::vector<ledger::Seq>{2, 3}));
}

TEST_F(LedgerServiceTest, WatchWaitsForNewEntriesAndStopsOnPredicate) {
  auto service = Client(testing::kInProcessServiceToken);
  std::atomic<bool> stop{false};
  std::vector<ledger::Seq> seen;
  std::thread watcher([&] {
    absl::Status status = service->Watch(
        1,
        [&](const ledger::JournalEntry& entry) {
          seen.push_back(entry.seq);
          stop.store(true);  // the next poll of the predicate ends the watch
          return true;
        },
        [&] { return stop.load(); });
    EXPECT_TRUE(status.ok()) << status;
  });
  ASSERT_TRUE(service->Commit(ValidTransaction("r1")).ok());
  watcher.join();
  EXPECT_EQ(seen, std::vector<ledger::Seq>{1});
}

TEST_F(LedgerServiceTest, ServerShutdownEndsWatchWithUnavailable) {
  auto service = Client(testing::kInProcessServiceToken);
  std::atomic<bool> started{false};
  absl::Status status;
  std::thread watcher([&] {
    status = service->Watch(
        1, [](const ledger::JournalEntry&) { return true; },
        [&] {
          started.store(true);
          return false;
        });
  });
  while (!started.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_.reset();  // BeginShutdown + Shutdown, as `reserved` does on SIGTERM
  watcher.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST_F(LedgerServiceTest, WatchWithoutTokenIsUnauthenticated) {
  absl::Status status = Client("")->Watch(
      1, [](const ledger::JournalEntry&) { return true; }, [] { return false; });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace reserve
