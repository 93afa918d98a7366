// The ledger admin commands of `reserved` (journal, verify, backup, restore) run as real
// processes against a real server and against stores on disk, including a tampered one.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/codec.h"
#include "storage/ledger.h"
#include "tests/ledger/tx_builder.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"

namespace reserve::testing {
namespace {

using ledger::testing::TxBuilder;

constexpr int kEntries = 6;

class AdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ScratchDir>> scratch = ScratchDir::Create("admin-cli");
    ASSERT_TRUE(scratch.ok()) << scratch.status();
    scratch_ = *std::move(scratch);
    tokens_ = scratch_->Sub("tokens");
    ASSERT_TRUE(WriteTokensFile(tokens_).ok());
  }

  // Runs `reserved args...`; returns the exit code and leaves the output in output_.
  int Reserved(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {RESERVED_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string log = scratch_->Sub(absl::StrCat("cmd.", ++commands_, ".log"));
    absl::StatusOr<int> code = RunCommand(argv, log);
    EXPECT_TRUE(code.ok()) << code.status();
    absl::StatusOr<std::string> output = ReadFile(log);
    output_ = output.ok() ? *output : "";
    return code.ok() ? *code : -1;
  }

  // Starts a server on `data_dir` and commits kEntries transactions through it.
  std::unique_ptr<ReservedProcess> StartAndFill(const std::string& data_dir) {
    ReservedOptions options;
    // Ledger only: other services write their own set-up entries, and this test counts entries.
    options.serve_args = {"--services=ledger", absl::StrCat("--data-dir=", data_dir),
                          absl::StrCat("--tokens-file=", tokens_)};
    options.work_dir = scratch_->path();
    absl::StatusOr<std::unique_ptr<ReservedProcess>> server =
        ReservedProcess::Start(RESERVED_BINARY, options);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) {
      return nullptr;
    }
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> remote =
        ConnectLedger((*server)->address(), kServiceToken);
    EXPECT_TRUE(remote.ok()) << remote.status();
    for (int i = 0; i < kEntries; ++i) {
      TxBuilder tx(absl::StrCat("admin-cli-", i));
      if (i == 0) {
        tx.Open("vault", "g:CU").Open("source", "g:CU");
      }
      tx.Post("vault", 1000 + i).Post("source", -(1000 + i)).Write(absl::StrCat("lot/", i), 0, "x");
      absl::StatusOr<ledger::Receipt> receipt = (*remote)->Commit(tx);
      EXPECT_TRUE(receipt.ok()) << receipt.status();
    }
    return *std::move(server);
  }

  std::unique_ptr<ScratchDir> scratch_;
  std::string tokens_;
  std::string output_;
  int commands_ = 0;
};

TEST_F(AdminCliTest, OnlineJournalVerifyBackupThenOfflineRestoreAndVerify) {
  std::string data = scratch_->Sub("data");
  std::unique_ptr<ReservedProcess> server = StartAndFill(data);
  ASSERT_NE(server, nullptr);
  std::string address = absl::StrCat("--ledger-address=", server->address());
  std::string admin = absl::StrCat("--token=", kAdminToken);

  EXPECT_EQ(Reserved({"journal", address, admin, "--from=2", "--limit=3", "--output=json"}), 0)
      << output_;
  EXPECT_TRUE(absl::StrContains(output_, "admin-cli-1")) << output_;
  EXPECT_TRUE(absl::StrContains(output_, "admin-cli-3")) << output_;
  EXPECT_FALSE(absl::StrContains(output_, "admin-cli-4")) << output_;

  EXPECT_EQ(Reserved({"verify", address, absl::StrCat("--token=", kAuditorToken)}), 0) << output_;

  std::string backup = scratch_->Sub("backup");
  EXPECT_EQ(Reserved({"backup", address, admin, absl::StrCat("--to=", backup)}), 0) << output_;
  // A finance user may not back up (or read) the ledger.
  EXPECT_EQ(Reserved({"backup", address, absl::StrCat("--token=", kFinanceToken),
                      absl::StrCat("--to=", scratch_->Sub("backup2"))}),
            1)
      << output_;
  EXPECT_TRUE(absl::StrContains(output_, "PERMISSION_DENIED")) << output_;

  absl::StatusOr<ExitInfo> stopped = server->Stop(SIGTERM);
  ASSERT_TRUE(stopped.ok()) << stopped.status();

  std::string restored = scratch_->Sub("restored");
  EXPECT_EQ(Reserved({"restore", absl::StrCat("--from=", backup),
                      absl::StrCat("--data-dir=", restored)}),
            0)
      << output_;
  EXPECT_EQ(Reserved({"verify", absl::StrCat("--data-dir=", restored)}), 0) << output_;
  EXPECT_EQ(Reserved({"journal", absl::StrCat("--data-dir=", restored), "--from=1",
                      absl::StrCat("--limit=", kEntries + 5)}),
            0)
      << output_;
  EXPECT_TRUE(absl::StrContains(output_, absl::StrCat("admin-cli-", kEntries - 1))) << output_;
}

TEST_F(AdminCliTest, VerifyNamesATamperedEntryAndExitsOne) {
  std::string data = scratch_->Sub("data");
  {
    std::unique_ptr<ReservedProcess> server = StartAndFill(data);
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(server->Stop(SIGTERM).ok());
  }
  constexpr ledger::Seq kVictim = 3;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), data, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), ledger::codec::JournalKey(kVictim), &value).ok());
    value[value.size() / 2] = static_cast<char>(value[value.size() / 2] ^ 0x01);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, ledger::codec::JournalKey(kVictim), value).ok());
  }
  EXPECT_EQ(Reserved({"verify", absl::StrCat("--data-dir=", data)}), 1) << output_;
  EXPECT_TRUE(absl::StrContains(output_, "journal entry 3")) << output_;
}

TEST_F(AdminCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Reserved({"verify"}), 2) << output_;  // neither --data-dir nor --ledger-address
  EXPECT_EQ(Reserved({"serve", "--listen=0.0.0.0:0"}), 2) << output_;  // plaintext off loopback
  EXPECT_EQ(Reserved({"no-such-command"}), 2) << output_;
}

}  // namespace
}  // namespace reserve::testing
