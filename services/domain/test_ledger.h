// A RocksLedger in a fresh temporary directory, for the kit's tests.
#ifndef RESERVE_SERVICES_DOMAIN_TEST_LEDGER_H_
#define RESERVE_SERVICES_DOMAIN_TEST_LEDGER_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/rocks_ledger.h"

namespace reserve::domain::testing {

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "domain_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ledger::RocksLedgerOptions options;
    options.directory = dir_ + "/db";
    options.sync_writes = false;
    absl::StatusOr<std::unique_ptr<ledger::RocksLedger>> l = ledger::RocksLedger::Open(options);
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = *std::move(l);
  }
  void TearDown() override {
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Commits `writes` (and nothing else) under `request_id`; returns the sequence number.
  ledger::Seq Write(const std::string& request_id, std::vector<ledger::RecordWrite> writes) {
    ledger::Transaction tx;
    tx.request_id = request_id;
    tx.kind = "test.write";
    tx.principal = "test";
    tx.business_date = absl::CivilDay(2024, 1, 10);
    tx.writes = std::move(writes);
    absl::StatusOr<ledger::Receipt> r = ledger_->Commit(tx);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->seq : 0;
  }

  std::string dir_;
  std::unique_ptr<ledger::RocksLedger> ledger_;
};

}  // namespace reserve::domain::testing

#endif  // RESERVE_SERVICES_DOMAIN_TEST_LEDGER_H_
