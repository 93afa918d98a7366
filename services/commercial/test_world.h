// Test fixture for the commercial domain tests: a RocksLedger in a temp dir, with the
// inventory, commercial-reserve and financing domains over it, and helpers that set up
// depots, enterprises, lots and price marks.
#ifndef RESERVE_SERVICES_COMMERCIAL_TEST_WORLD_H_
#define RESERVE_SERVICES_COMMERCIAL_TEST_WORLD_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/commercial/collateral_hook.h"
#include "services/commercial/commercial.h"
#include "services/commercial/financing.h"
#include "services/inventory/inventory.h"
#include "storage/errors.h"
#include "storage/rocks_ledger.h"

namespace reserve::commercial::testing {

inline constexpr int64_t kTonne = 1'000'000;
inline constexpr char kAdmin[] = "admin:alice";

inline absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

class World : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "commercial_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto l = ledger::RocksLedger::Open({.directory = dir_ + "/db", .sync_writes = false});
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = *std::move(l);
    collateral_hook_ = std::make_unique<CollateralHook>(*ledger_);
    auto inv = inventory::Inventory::Create(
        *ledger_, inventory::InventoryOptions{.lot_mass_hook = collateral_hook_.get()});
    ASSERT_TRUE(inv.ok()) << inv.status();
    inventory_ = *std::move(inv);
    commercial_ = std::make_unique<CommercialReserve>(*ledger_);
    financing_ = std::make_unique<Financing>(*ledger_);
  }
  void TearDown() override {
    financing_.reset();
    commercial_.reset();
    inventory_.reset();
    collateral_hook_.reset();
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Context Ctx(absl::string_view rid, absl::CivilDay day = absl::CivilDay(2024, 3, 1),
                     absl::string_view who = kAdmin) {
    return Context{std::string(rid), std::string(who), day};
  }
  static inventory::Context InvCtx(absl::string_view rid,
                                   absl::CivilDay day = absl::CivilDay(2024, 1, 10)) {
    return inventory::Context{std::string(rid), kAdmin, day};
  }

  void MakeDepot(const std::string& id, bool approved) {
    inventory::Depot d{id,
                       "Depot " + id,
                       "Gansu",
                       "Operator",
                       inventory::DepotKind::kCommercial,
                       approved,
                       {{"CU", 100'000 * kTonne}, {"AL", 100'000 * kTonne}}};
    auto r = inventory_->CreateDepot(InvCtx("depot-" + id), d);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  void Enrol(const std::string& id, std::vector<std::string> depots,
             std::vector<std::string> metals = {"CU", "AL"}) {
    Enterprise e{id, "Enterprise " + id, "Gansu", metals, depots, {}, {}};
    auto r = commercial_->EnrolEnterprise(Ctx("enrol-" + id, absl::CivilDay(2024, 1, 1)), e);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  static inventory::Lot MakeLot(const std::string& id, const std::string& depot, int64_t tonnes,
                                const std::string& owner,
                                inventory::ReserveClass cls = inventory::ReserveClass::kCommercial,
                                const std::string& metal = "CU") {
    inventory::Lot l;
    l.id = id;
    l.metal = metal;
    l.grade = metal == "CU" ? "Cu-CATH-1" : "Al99.70";
    l.brand = "Jinchuan";
    l.form = "cathode";
    l.pieces = 10;
    l.net_mass_g = tonnes * kTonne;
    l.gross_mass_g = tonnes * kTonne;
    l.depot = depot;
    l.year_produced = 2020;
    l.year_stored = 2021;
    l.cost_minor = tonnes * 6'000'000;
    l.currency = "CNY";
    l.reserve_class = cls;
    l.owner = owner;
    return l;
  }

  void Acquire(const std::string& rid, std::vector<inventory::Lot> lots,
               absl::CivilDay day = absl::CivilDay(2024, 1, 10)) {
    auto r = inventory_->Acquire(InvCtx(rid, day), {lots});
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // Adds a CNY mark and returns the journal seq of the transaction that wrote it.
  ledger::Seq Price(const std::string& metal, absl::CivilDay day, int64_t price_minor_per_t) {
    auto r = inventory_->AddPriceMarks(
        InvCtx(
            absl::StrCat("price-", metal, "-", inventory::FormatDate(day), "-", price_minor_per_t)),
        {{metal, day, price_minor_per_t, "CNY", "test"}});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->seq : 0;
  }

  // Runs mark to market for journal entry `seq` (what the follower does).
  absl::Status Mark(ledger::Seq seq) {
    auto entries = ledger_->ReadJournal(seq, 1);
    if (!entries.ok()) return entries.status();
    return financing_->MarkToMarket(entries->front());
  }

  PledgeRequest Loan(const std::string& borrower, std::vector<std::string> lots,
                     int64_t principal_minor, int64_t max_ltv_bp = 7000,
                     int64_t margin_call_ltv_bp = 8500) {
    return PledgeRequest{borrower,
                         lots,
                         principal_minor,
                         "CNY",
                         450,
                         absl::CivilDay(2025, 3, 1),
                         max_ltv_bp,
                         margin_call_ltv_bp,
                         "LOAN-1"};
  }

  absl::StatusOr<inventory::Lot> LotNow(const std::string& id) { return inventory_->GetLot(id); }

  std::string dir_;
  std::unique_ptr<ledger::RocksLedger> ledger_;
  std::unique_ptr<CollateralHook> collateral_hook_;
  std::unique_ptr<inventory::Inventory> inventory_;
  std::unique_ptr<CommercialReserve> commercial_;
  std::unique_ptr<Financing> financing_;
};

}  // namespace reserve::commercial::testing

#endif  // RESERVE_SERVICES_COMMERCIAL_TEST_WORLD_H_
