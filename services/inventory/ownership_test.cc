#include "services/inventory/ownership.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/inventory/inventory.h"
#include "storage/errors.h"
#include "storage/rocks_ledger.h"

namespace reserve::inventory {
namespace {

constexpr int64_t kTonne = 1'000'000;

class OwnershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ownership_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto l = ledger::RocksLedger::Open({.directory = dir_ + "/db", .sync_writes = false});
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = *std::move(l);
    auto inv = Inventory::Create(*ledger_);
    ASSERT_TRUE(inv.ok()) << inv.status();
    inventory_ = *std::move(inv);
    Depot d{
        "D1", "Depot 1", "Gansu", "CNRR", DepotKind::kCommercial, true, {{"CU", 1000 * kTonne}}};
    ASSERT_TRUE(inventory_->CreateDepot(Ctx("depot"), d).ok());
    std::vector<Lot> lots = {Lot1("L1", 25), Lot1("L2", 30)};
    ASSERT_TRUE(inventory_->Acquire(Ctx("acquire"), {lots}).ok());
  }
  void TearDown() override {
    inventory_.reset();
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Context Ctx(absl::string_view rid) {
    return Context{std::string(rid), "admin:alice", absl::CivilDay(2024, 1, 10)};
  }

  static Lot Lot1(absl::string_view id, int64_t tonnes) {
    Lot l;
    l.id = std::string(id);
    l.metal = "CU";
    l.grade = "Cu-CATH-1";
    l.brand = "Guixi";
    l.form = "cathode";
    l.pieces = 10;
    l.net_mass_g = tonnes * kTonne;
    l.gross_mass_g = tonnes * kTonne;
    l.depot = "D1";
    l.year_produced = 2020;
    l.year_stored = 2021;
    l.cost_minor = tonnes * 6'000'000;
    l.currency = "CNY";
    l.reserve_class = ReserveClass::kCommercial;
    l.owner = "ent-1";
    return l;
  }

  // Commits an owner change of `ids` to (`owner`, `cls`), writing the lot records.
  absl::Status ChangeOwner(const std::vector<std::string>& ids, const std::string& owner,
                           ReserveClass cls) {
    ledger::Transaction tx;
    tx.request_id = absl::StrCat("test/owner/", ids.front(), "/", owner);
    tx.kind = "test.owner_change";
    tx.principal = "admin:alice";
    tx.business_date = absl::CivilDay(2024, 2, 1);
    std::vector<OwnerChange> changes;
    for (const std::string& id : ids) {
      std::string key = absl::StrCat("lot/", id);
      auto set = ledger_->GetRecords({key}, {});
      if (!set.ok()) return set.status();
      auto lot = DecodeLot(set->records[0].value);
      if (!lot.ok()) return lot.status();
      changes.push_back({*lot, owner, cls});
      Lot after = *lot;
      after.owner = owner;
      after.reserve_class = cls;
      tx.writes.push_back({key, set->records[0].version, EncodeLot(after), false});
    }
    if (absl::Status s = AddOwnerChangePostings(changes, tx); !s.ok()) return s;
    return ledger_->Commit(tx).status();
  }

  int64_t HeldBy(const std::string& owner) {
    HoldingsQuery q{{GroupKey::kOwner, GroupKey::kClass}, std::nullopt, "CU"};
    auto h = inventory_->GetHoldings(q);
    EXPECT_TRUE(h.ok()) << h.status();
    int64_t total = 0;
    for (const HoldingRow& r : h->rows) {
      if (r.owner == owner) total += r.mass_g;
    }
    return total;
  }

  std::string dir_;
  std::unique_ptr<ledger::RocksLedger> ledger_;
  std::unique_ptr<Inventory> inventory_;
};

TEST_F(OwnershipTest, AccountNamesMatchInventoryLayout) {
  EXPECT_EQ(StockAccountName("CU", "D1", ReserveClass::kCommercial, "ent-1"),
            "stock/CU/D1/commercial/ent-1");
  EXPECT_EQ(CostAccountName("CNY", "CU", "D1", ReserveClass::kCentral, "state"),
            "cost/CNY/CU/D1/central/state");
  auto b =
      ledger_->GetBalances({StockAccountName("CU", "D1", ReserveClass::kCommercial, "ent-1"),
                            CostAccountName("CNY", "CU", "D1", ReserveClass::kCommercial, "ent-1")},
                           {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->balances[0].amount, 55 * kTonne);
  EXPECT_EQ(b->balances[1].amount, 55 * 6'000'000);
}

TEST_F(OwnershipTest, ChangeMovesStockAndCostAndInventoryStillReleasesTheLot) {
  ASSERT_TRUE(ChangeOwner({"L1", "L2"}, "bank:icbc", ReserveClass::kCommercial).ok());
  EXPECT_EQ(HeldBy("ent-1"), 0);
  EXPECT_EQ(HeldBy("bank:icbc"), 55 * kTonne);
  ASSERT_TRUE(ChangeOwner({"L2"}, "state", ReserveClass::kCentral).ok());
  EXPECT_EQ(HeldBy("bank:icbc"), 25 * kTonne);
  EXPECT_EQ(HeldBy("state"), 30 * kTonne);
  // Inventory's own release finds the stock under the new owner's accounts.
  ReleaseRequest release{{{"L2", 0}}, "Buyer", "REF-1", "", ""};
  auto r = inventory_->Release(Ctx("release"), release);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HeldBy("state"), 0);
}

TEST_F(OwnershipTest, InvalidChangesAreRejectedAndLeaveTheTransactionAlone) {
  Lot lot = Lot1("L1", 25);
  ledger::Transaction tx;
  EXPECT_EQ(FieldOf(AddOwnerChangePostings({{lot, "", ReserveClass::kCentral}}, tx)),
            "lots[0].to_owner");
  EXPECT_EQ(FieldOf(AddOwnerChangePostings({{lot, "a/b", ReserveClass::kCentral}}, tx)),
            "lots[0].to_owner");
  EXPECT_EQ(FieldOf(AddOwnerChangePostings({{lot, "state", ReserveClass::kUnspecified}}, tx)),
            "lots[0].to_class");
  EXPECT_EQ(FieldOf(AddOwnerChangePostings(
                {{lot, "state", ReserveClass::kCentral}, {lot, "x", ReserveClass::kCentral}}, tx)),
            "lots[1]");
  Lot moving = lot;
  moving.status = LotStatus::kInTransit;
  EXPECT_EQ(AddOwnerChangePostings({{moving, "state", ReserveClass::kCentral}}, tx).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(tx.postings.empty());
  EXPECT_TRUE(tx.open_accounts.empty());
  // An account the transaction already opens is not opened twice.
  tx.open_accounts.push_back({"stock/CU/D1/central/state", "g:CU", true});
  ASSERT_TRUE(AddOwnerChangePostings({{lot, "state", ReserveClass::kCentral}}, tx).ok());
  EXPECT_EQ(tx.open_accounts.size(), 4u);
  EXPECT_EQ(tx.postings.size(), 4u);
}

}  // namespace
}  // namespace reserve::inventory
