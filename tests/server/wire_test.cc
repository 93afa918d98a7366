// Over the wire, against a real `reserved serve` process: concurrency on one request id,
// malformed requests built directly as protos, authentication and access, and a clean
// SIGTERM shutdown.
#include <signal.h>

#include <functional>
#include <iostream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reserve/v1/error.pb.h"
#include "reserve/v1/identity.grpc.pb.h"
#include "reserve/v1/ledger.grpc.pb.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"
#include "tests/support/raw_call.h"

namespace reserve::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;

constexpr int kSameIdClients = 32;

class WireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create("wire_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    ASSERT_TRUE(WriteTokensFile(dir_->Sub("tokens")).ok());
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  void Start() {
    ReservedOptions options;
    options.work_dir = dir_->path();
    options.serve_args = {"--services=ledger", absl::StrCat("--data-dir=", dir_->Sub("data")),
                          absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
    absl::StatusOr<std::unique_ptr<ReservedProcess>> server =
        ReservedProcess::Start(RESERVED_BINARY, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::LedgerService::NewStub(OwnChannel(server_->address()));
  }

  uint64_t Head() {
    v1::Head head;
    grpc::Status status = stub_->GetHead(ContextWithToken(kServiceToken).get(), {}, &head);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    return head.seq();
  }

  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ReservedProcess> server_;
  std::unique_ptr<v1::LedgerService::Stub> stub_;
};

// A valid transaction: opens two accounts, moves 5 between them, writes one record.
v1::CommitRequest ValidCommit(const std::string& request_id) {
  v1::CommitRequest request;
  v1::Transaction* tx = request.mutable_transaction();
  tx->set_request_id(request_id);
  tx->set_kind("test.wire");
  tx->set_principal("service:wire-test");
  tx->mutable_business_date()->set_year(2026);
  tx->mutable_business_date()->set_month(3);
  tx->mutable_business_date()->set_day(14);
  for (const char* id : {"wire/a", "wire/b"}) {
    v1::AccountSpec* account = tx->add_open_accounts();
    account->set_id(id);
    account->set_unit("g:CU");
  }
  v1::Posting* from = tx->add_postings();
  from->set_account("wire/a");
  from->set_amount(-5);
  v1::Posting* to = tx->add_postings();
  to->set_account("wire/b");
  to->set_amount(5);
  v1::RecordWrite* write = tx->add_writes();
  write->set_key(absl::StrCat("wire-record/", request_id));
  write->set_value("v");
  return request;
}

// The ErrorDetail the server attached to `status` (empty when none).
v1::ErrorDetail DetailOf(const grpc::Status& status) {
  v1::ErrorDetail detail;
  if (!status.error_details().empty()) {
    EXPECT_TRUE(detail.ParseFromString(status.error_details())) << "undecodable error detail";
  }
  return detail;
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", status.error_code(), ": ", status.error_message(), " [field '",
                      DetailOf(status).field(), "', reason '", DetailOf(status).reason(), "']");
}

TEST_F(WireTest, SameRequestIdFromManyClientsCommitsOnce) {
  const uint64_t head_before = Head();
  const v1::CommitRequest request = ValidCommit("same-id-for-all");
  std::vector<grpc::Status> statuses(kSameIdClients);
  std::vector<v1::Receipt> receipts(kSameIdClients);
  std::vector<std::unique_ptr<v1::LedgerService::Stub>> stubs;
  for (int i = 0; i < kSameIdClients; ++i) {
    std::shared_ptr<grpc::Channel> channel = OwnChannel(server_->address());
    ASSERT_TRUE(channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(30))));
    stubs.push_back(v1::LedgerService::NewStub(channel));
  }
  std::latch go(kSameIdClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSameIdClients; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<grpc::ClientContext> context = ContextWithToken(kServiceToken);
      go.arrive_and_wait();
      statuses[i] = stubs[i]->Commit(context.get(), request, &receipts[i]);
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  int originals = 0;
  for (int i = 0; i < kSameIdClients; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << "client " << i << ": " << Describe(statuses[i]);
    EXPECT_EQ(receipts[i].seq(), head_before + 1) << "client " << i;
    EXPECT_EQ(receipts[i].hash(), receipts[0].hash()) << "client " << i;
    originals += receipts[i].replayed() ? 0 : 1;
  }
  EXPECT_EQ(originals, 1) << "exactly one caller commits; the others get the replayed receipt";
  EXPECT_EQ(Head(), head_before + 1);
  v1::ReadJournalRequest read;
  read.set_from_seq(head_before + 1);
  read.set_max_entries(100);
  v1::ReadJournalResponse journal;
  grpc::Status status = stub_->ReadJournal(ContextWithToken(kServiceToken).get(), read, &journal);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(journal.entries_size(), 1);
  EXPECT_EQ(journal.entries(0).transaction().request_id(), "same-id-for-all");
}

// One malformed request: its RPC, and the field the error must name.
struct BadRequest {
  std::string name;
  std::string field;  // the ErrorDetail field must end with this
  std::function<grpc::Status(v1::LedgerService::Stub&, grpc::ClientContext*)> call;
};

grpc::Status CommitWith(v1::LedgerService::Stub& stub, grpc::ClientContext* context,
                        const std::function<void(v1::Transaction&)>& mutate) {
  v1::CommitRequest request = ValidCommit("malformed");
  mutate(*request.mutable_transaction());
  v1::Receipt receipt;
  return stub.Commit(context, request, &receipt);
}

std::vector<BadRequest> BadRequests(uint64_t head) {
  std::vector<BadRequest> out;
  out.push_back({"missing business_date", "business_date", [](auto& stub, auto* context) {
                   return CommitWith(stub, context,
                                     [](v1::Transaction& tx) { tx.clear_business_date(); });
                 }});
  out.push_back({"month 13", "business_date", [](auto& stub, auto* context) {
                   return CommitWith(stub, context, [](v1::Transaction& tx) {
                     tx.mutable_business_date()->set_month(13);
                   });
                 }});
  out.push_back({"empty request_id", "request_id", [](auto& stub, auto* context) {
                   return CommitWith(stub, context,
                                     [](v1::Transaction& tx) { tx.clear_request_id(); });
                 }});
  out.push_back({"zero posting amount", "postings[0].amount", [](auto& stub, auto* context) {
                   return CommitWith(stub, context, [](v1::Transaction& tx) {
                     tx.mutable_postings(0)->set_amount(0);
                     tx.mutable_postings(1)->set_amount(0);
                   });
                 }});
  out.push_back({"oversize record value", "writes[0].value", [](auto& stub, auto* context) {
                   return CommitWith(stub, context, [](v1::Transaction& tx) {
                     tx.mutable_writes(0)->set_value(std::string(ledger::kMaxRecordBytes + 1, 'x'));
                   });
                 }});
  for (int page_size : {-1, 5000}) {
    out.push_back({absl::StrCat("page_size ", page_size), "page_size",
                   [page_size](auto& stub, auto* context) {
                     v1::ScanRecordsRequest request;
                     request.set_prefix("wire");
                     request.set_page_size(page_size);
                     v1::ScanRecordsResponse response;
                     return stub.ScanRecords(context, request, &response);
                   }});
  }
  out.push_back({"garbage page_token", "page_token", [](auto& stub, auto* context) {
                   v1::ScanRecordsRequest request;
                   request.set_prefix("wire");
                   request.set_page_size(10);
                   request.set_page_token(
                       "garbage-not-a-cursor");  // tokens are hex; string fields must be UTF-8
                   v1::ScanRecordsResponse response;
                   return stub.ScanRecords(context, request, &response);
                 }});
  out.push_back({"at_seq above head", "at_seq", [head](auto& stub, auto* context) {
                   v1::GetRecordsRequest request;
                   request.add_keys("wire-record/x");
                   request.set_at_seq(head + 100);
                   v1::GetRecordsResponse response;
                   return stub.GetRecords(context, request, &response);
                 }});
  return out;
}

TEST_F(WireTest, MalformedRequestsAreInvalidArgumentNamingTheFieldAndWriteNothing) {
  // Some state first, so "nothing written" is checked against a non-empty ledger.
  v1::Receipt receipt;
  grpc::Status committed =
      stub_->Commit(ContextWithToken(kServiceToken).get(), ValidCommit("valid-1"), &receipt);
  ASSERT_TRUE(committed.ok()) << Describe(committed);
  const uint64_t head = Head();
  ASSERT_EQ(head, receipt.seq());

  for (const BadRequest& bad : BadRequests(head)) {
    SCOPED_TRACE(bad.name);
    grpc::Status status = bad.call(*stub_, ContextWithToken(kServiceToken).get());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
    EXPECT_THAT(DetailOf(status).field(), EndsWith(bad.field)) << Describe(status);
    EXPECT_EQ(Head(), head) << "a rejected request wrote something";
    EXPECT_TRUE(server_->Alive()) << server_->StderrTail();
  }
  // page_size 0 is not an error over the wire: proto3 cannot tell "unset" from 0, so the
  // server reads it as "the default page size" (Google AIP-158; storage/remote/convert.cc
  // PageFromProto). Only negative and too-large sizes are rejected (above).
  v1::ScanRecordsRequest default_page;
  default_page.set_prefix("wire");
  v1::ScanRecordsResponse page;
  grpc::Status zero =
      stub_->ScanRecords(ContextWithToken(kServiceToken).get(), default_page, &page);
  EXPECT_TRUE(zero.ok()) << Describe(zero);
  EXPECT_EQ(page.records_size(), 1);

  // Still serving normally afterwards.
  grpc::Status again =
      stub_->Commit(ContextWithToken(kServiceToken).get(), ValidCommit("valid-2"), &receipt);
  ASSERT_TRUE(again.ok()) << Describe(again);
  EXPECT_EQ(receipt.seq(), head + 1);
}

// Bytes that are not a valid message of the method's type: INVALID_ARGUMENT naming the
// method, never gRPC's INTERNAL, on sync methods (the interceptor in
// services/common/unparsable_request.h) and on async ones (services/common/async_unary.h).
TEST_F(WireTest, BytesThatAreNoValidMessageAreInvalidArgumentOnSyncAndAsyncMethods) {
  ReservedOptions options;
  options.work_dir = dir_->path();
  options.serve_args = {"--services=all", absl::StrCat("--data-dir=", dir_->Sub("all-data")),
                        absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
  absl::StatusOr<std::unique_ptr<ReservedProcess>> all =
      ReservedProcess::Start(RESERVED_BINARY, options);
  ASSERT_TRUE(all.ok()) << all.status();
  std::shared_ptr<grpc::Channel> channel = OwnChannel((*all)->address());
  auto head = [&] {
    v1::Head h;
    grpc::Status s = v1::LedgerService::NewStub(channel)->GetHead(
        ContextWithToken(kServiceToken).get(), {}, &h);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return h.seq();
  };
  const uint64_t before = head();
  for (const char* method :
       {"/reserve.v1.LedgerService/Commit", "/reserve.v1.InventoryService/GetLot",
        "/reserve.v1.InventoryService/AcquireLots", "/reserve.v1.FinancingService/CreatePledge"}) {
    SCOPED_TRACE(method);
    const std::string junk("\xff\xff\xff\xff\x0f not a message", 20);
    std::unique_ptr<grpc::ClientContext> ctx = ContextWithToken(kAdminToken);
    grpc::Status status = testing::CallWithRawBytes(channel, *ctx, method, junk);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
    EXPECT_EQ(status.error_message(),
              absl::StrCat("the request is not a valid message for ", method));
    EXPECT_TRUE((*all)->Alive()) << (*all)->StderrTail();
  }
  EXPECT_EQ(head(), before) << "a request that could not be read wrote something";
}

TEST_F(WireTest, AuthenticationAndTheAccessTable) {
  v1::Receipt receipt;
  v1::Head head;
  // No token, or an unknown one: UNAUTHENTICATED.
  for (absl::string_view token : {absl::string_view(""), absl::string_view("no-such-token")}) {
    SCOPED_TRACE(absl::StrCat("token '", token, "'"));
    grpc::Status commit = stub_->Commit(ContextWithToken(token).get(), ValidCommit("a1"), &receipt);
    EXPECT_EQ(commit.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(commit);
    grpc::Status read = stub_->GetHead(ContextWithToken(token).get(), {}, &head);
    EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(read);
  }
  // services/common/access_table.cc: Commit is for `service` only; reads for service, admin
  // and auditor; finance has no ledger access at all.
  grpc::Status finance_commit =
      stub_->Commit(ContextWithToken(kFinanceToken).get(), ValidCommit("a2"), &receipt);
  EXPECT_EQ(finance_commit.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(finance_commit);
  grpc::Status finance_read = stub_->GetHead(ContextWithToken(kFinanceToken).get(), {}, &head);
  EXPECT_EQ(finance_read.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(finance_read);
  for (absl::string_view token : {kAdminToken, kAuditorToken}) {
    SCOPED_TRACE(token);
    grpc::Status commit = stub_->Commit(ContextWithToken(token).get(), ValidCommit("a3"), &receipt);
    EXPECT_EQ(commit.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(commit);
    grpc::Status read = stub_->GetHead(ContextWithToken(token).get(), {}, &head);
    EXPECT_TRUE(read.ok()) << Describe(read);
  }
  EXPECT_EQ(Head(), 0u) << "a refused commit wrote something";
  // Backup is an admin act: a service may not, an admin may.
  v1::BackupRequest backup;
  backup.set_directory(dir_->Sub("backup"));
  grpc::Status service_backup = stub_->Backup(ContextWithToken(kServiceToken).get(), backup, &head);
  EXPECT_EQ(service_backup.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(service_backup);
  grpc::Status admin_backup = stub_->Backup(ContextWithToken(kAdminToken).get(), backup, &head);
  EXPECT_TRUE(admin_backup.ok()) << Describe(admin_backup);

  // WhoAmI answers with the token table's name and roles.
  std::unique_ptr<v1::IdentityService::Stub> identity =
      v1::IdentityService::NewStub(OwnChannel(server_->address()));
  v1::Principal principal;
  grpc::Status who = identity->WhoAmI(ContextWithToken(kServiceToken).get(), {}, &principal);
  ASSERT_TRUE(who.ok()) << Describe(who);
  EXPECT_EQ(principal.name(), "svc");
  EXPECT_THAT(principal.roles(), ElementsAre("service"));
  grpc::Status anonymous = identity->WhoAmI(ContextWithToken("").get(), {}, &principal);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(anonymous);
}

TEST_F(WireTest, SigtermExitsZeroAndRestartFindsAllData) {
  constexpr int kCommits = 20;
  v1::Receipt receipt;
  for (int i = 0; i < kCommits; ++i) {
    v1::CommitRequest request = ValidCommit(absl::StrCat("term-", i));
    if (i > 0) {
      request.mutable_transaction()->clear_open_accounts();
    }
    grpc::Status status = stub_->Commit(ContextWithToken(kServiceToken).get(), request, &receipt);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }
  v1::Head head_before;
  ASSERT_TRUE(stub_->GetHead(ContextWithToken(kServiceToken).get(), {}, &head_before).ok());
  ASSERT_EQ(head_before.seq(), static_cast<uint64_t>(kCommits));

  const absl::Time stop_start = absl::Now();
  absl::StatusOr<ExitInfo> exit = server_->Stop(SIGTERM);
  std::cout << "SIGTERM to exit with an idle client connection open: "
            << absl::FormatDuration(absl::Now() - stop_start) << std::endl;
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0) << exit->ToString() << "\n" << server_->StderrTail();

  ASSERT_NO_FATAL_FAILURE(Start());
  v1::Head head_after;
  grpc::Status status = stub_->GetHead(ContextWithToken(kServiceToken).get(), {}, &head_after);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(head_after.seq(), head_before.seq());
  EXPECT_EQ(head_after.hash(), head_before.hash());
  v1::GetRecordsRequest read;
  for (int i = 0; i < kCommits; ++i) {
    read.add_keys(absl::StrCat("wire-record/term-", i));
  }
  v1::GetRecordsResponse records;
  status = stub_->GetRecords(ContextWithToken(kServiceToken).get(), read, &records);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(records.records_size(), kCommits);
  for (int i = 0; i < kCommits; ++i) {
    EXPECT_EQ(records.records(i).version(), static_cast<uint64_t>(i + 1));
  }
  v1::GetBalancesRequest balances_request;
  balances_request.add_accounts("wire/b");
  v1::GetBalancesResponse balances;
  status = stub_->GetBalances(ContextWithToken(kServiceToken).get(), balances_request, &balances);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(balances.balances_size(), 1);
  EXPECT_EQ(balances.balances(0).amount(), 5 * kCommits);
  v1::VerifyReport report;
  status = stub_->Verify(ContextWithToken(kAuditorToken).get(), {}, &report);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(report.ok()) << report.problem();
  EXPECT_EQ(report.entries_checked(), static_cast<uint64_t>(kCommits));

  // And a second SIGTERM on the restarted process exits 0 too, this time with no client
  // connection open.
  stub_.reset();
  const absl::Time second_stop_start = absl::Now();
  exit = server_->Stop(SIGTERM);
  std::cout << "SIGTERM to exit with no client connection: "
            << absl::FormatDuration(absl::Now() - second_stop_start) << std::endl;
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0) << exit->ToString() << "\n" << server_->StderrTail();
}

}  // namespace
}  // namespace reserve::testing
