// InventoryService end to end: a real gRPC server on 127.0.0.1:0 with bearer tokens, over a
// RocksLedger in a temp dir ("embedded") or a RemoteLedger to an in-process LedgerService
// ("split"). Every RPC's normal path and the failures the issue names, with exact codes.
#include "services/inventory/inventory_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "tests/support/service_env.h"

namespace reserve {
namespace {

using testing::Day;
using ::testing::ElementsAre;
using testing::Outcome;

constexpr int64_t kTonne = 1'000'000;
constexpr char kTokens[] =
    "admin-token alice admin\n"
    "admin2-token carol admin\n"
    "finance-token fiona finance\n"
    "approver-token bob approver\n"
    "auditor-token audrey auditor\n";

class InventoryServiceTest : public testing::ServiceTest {
 protected:
  InventoryServiceTest() : ServiceTest(kTokens, "inventory_service_test") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ServiceTest::SetUp());
    auto service = InventoryServiceImpl::Create(ledger(), authorizer());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    auto server = testing::TestServer::Start({service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = server_->NewStub<v1::InventoryService>();
  }

  // Calls `method` on the stub as the holder of `token`.
  template <typename Req, typename Resp, typename Method>
  Outcome Call(Method method, const Req& request, Resp* response,
               absl::string_view token = "admin-token") {
    return testing::CallAs(*stub_, method, request, response, token);
  }

  void MakeDepot(const std::string& id, const std::string& province, int64_t cu_t) {
    v1::CreateDepotRequest req;
    req.set_request_id("depot-" + id);
    v1::Depot* d = req.mutable_depot();
    d->set_depot_id(id);
    d->set_name("Depot " + id);
    d->set_province(province);
    d->set_operator_name("China National Reserve");
    d->set_kind(v1::DEPOT_KIND_STATE);
    d->set_approved_for_pledge(true);
    (*d->mutable_capacity_g())["CU"] = cu_t * kTonne;
    v1::DepotResponse resp;
    Outcome o = Call(&v1::InventoryService::Stub::CreateDepot, req, &resp);
    ASSERT_TRUE(o.status.ok()) << o.status;
  }

  static v1::Lot CopperLot(const std::string& id, const std::string& depot, int64_t tonnes) {
    v1::Lot l;
    l.set_lot_id(id);
    l.set_metal("CU");
    l.set_grade("Cu-CATH-1");
    l.set_brand("Guixi");
    l.set_form("cathode");
    l.set_pieces(10);
    l.set_net_mass_g(tonnes * kTonne);
    l.set_gross_mass_g(tonnes * kTonne + 500);
    l.set_depot_id(depot);
    l.set_location("hall 1");
    l.set_year_produced(2019);
    l.set_year_stored(2020);
    l.set_cost_minor(tonnes * 6'000'000);
    l.set_currency("CNY");
    l.set_reserve_class(v1::RESERVE_CLASS_CENTRAL);
    l.set_owner("state");
    return l;
  }

  Outcome Acquire(const std::string& rid, std::vector<v1::Lot> lots, v1::AcquireLotsResponse* resp,
                  v1::Date date = Day(2024, 1, 10)) {
    v1::AcquireLotsRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = date;
    for (v1::Lot& l : lots) *req.add_lots() = l;
    return Call(&v1::InventoryService::Stub::AcquireLots, req, resp);
  }

  Outcome Release(const std::string& rid, const std::string& lot, int64_t mass_g,
                  v1::ReleaseLotsResponse* resp, absl::string_view token = "admin-token",
                  v1::Date date = Day(2024, 2, 1)) {
    v1::ReleaseLotsRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = date;
    v1::ReleaseLine* line = req.add_lines();
    line->set_lot_id(lot);
    line->set_mass_g(mass_g);
    req.set_buyer("Ningbo Copper Works");
    req.set_reference("AUCTION-2024-01");
    return Call(&v1::InventoryService::Stub::ReleaseLots, req, resp, token);
  }

  int64_t HeldCu(const v1::Date* as_of = nullptr) {
    v1::GetHoldingsRequest req;
    req.set_metal("CU");
    if (as_of != nullptr) *req.mutable_as_of_date() = *as_of;
    v1::GetHoldingsResponse resp;
    Outcome o = Call(&v1::InventoryService::Stub::GetHoldings, req, &resp, "finance-token");
    EXPECT_TRUE(o.status.ok()) << o.status;
    int64_t total = 0;
    for (const v1::HoldingRow& r : resp.rows()) total += r.mass_g();
    return total;
  }

  // Destroyed in reverse: the server shuts down before the service goes.
  std::unique_ptr<InventoryServiceImpl> service_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
};

using Stub = v1::InventoryService::Stub;

TEST_P(InventoryServiceTest, CatalogRpcs) {
  v1::ListMetalsRequest list;
  list.set_page_size(4);
  v1::ListMetalsResponse page;
  ASSERT_TRUE(Call(&Stub::ListMetals, list, &page, "finance-token").status.ok());
  EXPECT_EQ(page.metals_size(), 4);
  std::vector<std::string> codes;
  for (const v1::Metal& m : page.metals()) codes.push_back(m.code());
  while (!page.next_page_token().empty()) {
    list.set_page_token(page.next_page_token());
    page.Clear();
    ASSERT_TRUE(Call(&Stub::ListMetals, list, &page, "auditor-token").status.ok());
    for (const v1::Metal& m : page.metals()) codes.push_back(m.code());
  }
  EXPECT_THAT(codes, ::testing::UnorderedElementsAre("CU", "AL", "ZN", "PB", "NI", "SN", "CO", "W",
                                                     "SB", "REO"));
  list.set_page_token("garbage");
  EXPECT_EQ(Call(&Stub::ListMetals, list, &page).field(), "page_token");

  v1::GetMetalRequest get;
  get.set_code("AL");
  v1::Metal al;
  ASSERT_TRUE(Call(&Stub::GetMetal, get, &al).status.ok());
  EXPECT_EQ(al.name_zh(), "铝");
  EXPECT_EQ(al.grades(0).standard(), "GB/T 1196");
  get.set_code("XX");
  Outcome unknown = Call(&Stub::GetMetal, get, &al);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.reason(), "UNKNOWN_METAL");

  v1::CreateMetalRequest create;
  create.set_request_id("ge");
  create.mutable_metal()->set_code("GE");
  create.mutable_metal()->set_name_zh("锗");
  create.mutable_metal()->set_name_en("Germanium");
  v1::CreateMetalResponse created;
  EXPECT_EQ(Call(&Stub::CreateMetal, create, &created, "finance-token").code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Call(&Stub::CreateMetal, create, &created).status.ok());
  EXPECT_EQ(created.metal().code(), "GE");
  v1::AddGradeRequest grade;
  grade.set_request_id("ge-1");
  grade.set_metal("GE");
  grade.mutable_grade()->set_code("Ge-1");
  grade.mutable_grade()->set_standard("GB/T 11071");
  v1::AddGradeResponse graded;
  ASSERT_TRUE(Call(&Stub::AddGrade, grade, &graded).status.ok());
  EXPECT_EQ(graded.metal().grades_size(), 1);
  grade.set_request_id("ge-2");
  EXPECT_EQ(Call(&Stub::AddGrade, grade, &graded).reason(), "GRADE_EXISTS");
}

TEST_P(InventoryServiceTest, DepotRpcs) {
  MakeDepot("D1", "Gansu", 100);
  v1::GetDepotRequest get;
  get.set_depot_id("D1");
  v1::GetDepotResponse got;
  ASSERT_TRUE(Call(&Stub::GetDepot, get, &got, "finance-token").status.ok());
  EXPECT_EQ(got.depot().province(), "Gansu");
  EXPECT_EQ(got.free_capacity_g().at("CU"), 100 * kTonne);
  get.set_depot_id("NOPE");
  Outcome missing = Call(&Stub::GetDepot, get, &got);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.reason(), "UNKNOWN_DEPOT");

  v1::UpdateDepotRequest update;
  update.set_request_id("u1");
  *update.mutable_depot() = got.depot();
  update.mutable_depot()->set_depot_id("D1");
  (*update.mutable_depot()->mutable_capacity_g())["CU"] = 200 * kTonne;
  v1::DepotResponse updated;
  ASSERT_TRUE(Call(&Stub::UpdateDepot, update, &updated).status.ok());
  EXPECT_EQ(updated.depot().capacity_g().at("CU"), 200 * kTonne);
  update.set_request_id("u2");
  update.mutable_depot()->set_kind(v1::DEPOT_KIND_UNSPECIFIED);
  Outcome bad_kind = Call(&Stub::UpdateDepot, update, &updated);
  EXPECT_EQ(bad_kind.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_kind.field(), "depot.kind");

  MakeDepot("D2", "Yunnan", 10);
  v1::ListDepotsRequest list;
  v1::ListDepotsResponse depots;
  ASSERT_TRUE(Call(&Stub::ListDepots, list, &depots, "auditor-token").status.ok());
  ASSERT_EQ(depots.depots_size(), 2);
  EXPECT_EQ(depots.depots(1).depot_id(), "D2");
  list.set_page_size(5000);
  EXPECT_EQ(Call(&Stub::ListDepots, list, &depots).field(), "page_size");
}

TEST_P(InventoryServiceTest, AcquireBatchWithOneBadLotWritesNothing) {
  MakeDepot("D1", "Gansu", 100);
  std::vector<v1::Lot> lots = {CopperLot("L1", "D1", 25), CopperLot("L2", "D1", 25),
                               CopperLot("L3", "D1", 25)};
  lots[1].set_net_mass_g(-5);
  v1::AcquireLotsResponse resp;
  Outcome bad = Acquire("a1", lots, &resp);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.field(), "lots[1].net_mass_g");
  lots[1] = CopperLot("L2", "D1", 25);
  lots[1].set_reserve_class(v1::RESERVE_CLASS_UNSPECIFIED);
  EXPECT_EQ(Acquire("a2", lots, &resp).field(), "lots[1].reserve_class");
  lots[1] = CopperLot("L2", "D1", 25);
  lots[1].set_metal("XX");
  Outcome metal = Acquire("a3", lots, &resp);
  EXPECT_EQ(metal.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(metal.reason(), "UNKNOWN_METAL");
  lots[1] = CopperLot("L2", "D9", 25);
  Outcome depot = Acquire("a4", lots, &resp);
  EXPECT_EQ(depot.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(depot.reason(), "UNKNOWN_DEPOT");
  lots[1] = CopperLot("L2", "D1", 60);
  Outcome full = Acquire("a5", lots, &resp);
  EXPECT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(full.reason(), "DEPOT_CAPACITY");
  EXPECT_EQ(HeldCu(), 0);
  v1::GetLotRequest get;
  get.set_lot_id("L1");
  v1::Lot lot;
  EXPECT_EQ(Call(&Stub::GetLot, get, &lot).code(), absl::StatusCode::kNotFound);

  lots[1] = CopperLot("L2", "D1", 25);
  Outcome ok = Acquire("a6", lots, &resp);
  ASSERT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_THAT(resp.lot_ids(), ElementsAre("L1", "L2", "L3"));
  EXPECT_GT(resp.commit().seq(), 0u);
  EXPECT_EQ(HeldCu(), 75 * kTonne);
  ASSERT_TRUE(Call(&Stub::GetLot, get, &lot, "finance-token").status.ok());
  EXPECT_EQ(lot.status(), v1::LOT_STATUS_IN_STOCK);
  EXPECT_EQ(lot.standard(), "GB/T 467");
}

TEST_P(InventoryServiceTest, FinanceCannotWriteButReads) {
  MakeDepot("D1", "Gansu", 100);
  v1::AcquireLotsRequest req;
  req.set_request_id("f1");
  *req.add_lots() = CopperLot("L1", "D1", 1);
  v1::AcquireLotsResponse resp;
  EXPECT_EQ(Call(&Stub::AcquireLots, req, &resp, "finance-token").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Call(&Stub::AcquireLots, req, &resp, "auditor-token").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Call(&Stub::AcquireLots, req, &resp, "").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Call(&Stub::AcquireLots, req, &resp, "forged").code(),
            absl::StatusCode::kUnauthenticated);
  v1::ReleaseLotsResponse rel;
  EXPECT_EQ(Release("f2", "L1", 0, &rel, "finance-token").code(),
            absl::StatusCode::kPermissionDenied);
  v1::ImportPriceMarksRequest csv;
  csv.set_request_id("f3");
  v1::AddPriceMarksResponse marks;
  EXPECT_EQ(Call(&Stub::ImportPriceMarks, csv, &marks, "finance-token").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(HeldCu(), 0);  // and finance may read holdings
}

TEST_P(InventoryServiceTest, TransferBeyondDestinationCapacityAndReleaseInTransit) {
  MakeDepot("D1", "Gansu", 100);
  MakeDepot("D2", "Yunnan", 30);
  v1::AcquireLotsResponse acq;
  ASSERT_TRUE(
      Acquire("a1", {CopperLot("BIG", "D1", 40), CopperLot("SMALL", "D1", 20)}, &acq).status.ok());
  v1::DispatchLotRequest dispatch;
  dispatch.set_request_id("t1");
  dispatch.set_lot_id("BIG");
  dispatch.set_to_depot_id("D2");
  v1::TransferResponse moved;
  Outcome full = Call(&Stub::DispatchLot, dispatch, &moved);
  EXPECT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(full.reason(), "DEPOT_CAPACITY");
  dispatch.set_request_id("t2");
  dispatch.set_to_depot_id("D9");
  EXPECT_EQ(Call(&Stub::DispatchLot, dispatch, &moved).code(), absl::StatusCode::kNotFound);

  dispatch.set_request_id("t3");
  dispatch.set_lot_id("SMALL");
  dispatch.set_to_depot_id("D2");
  ASSERT_TRUE(Call(&Stub::DispatchLot, dispatch, &moved).status.ok());
  EXPECT_EQ(moved.lot().status(), v1::LOT_STATUS_IN_TRANSIT);
  EXPECT_EQ(moved.lot().transit_to_depot_id(), "D2");

  v1::ReleaseLotsResponse rel;
  Outcome in_transit = Release("r1", "SMALL", 0, &rel);
  EXPECT_EQ(in_transit.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(in_transit.reason(), "LOT_IN_TRANSIT");

  v1::GetHoldingsRequest by_depot;
  by_depot.add_group_by(v1::HOLDINGS_GROUP_KEY_DEPOT);
  v1::GetHoldingsResponse holdings;
  ASSERT_TRUE(Call(&Stub::GetHoldings, by_depot, &holdings).status.ok());
  ASSERT_EQ(holdings.rows_size(), 2);
  EXPECT_EQ(holdings.rows(0).depot_id(), "(in transit)");
  EXPECT_EQ(holdings.rows(0).mass_g(), 20 * kTonne);

  v1::ReceiveLotRequest receive;
  receive.set_request_id("t4");
  receive.set_lot_id("SMALL");
  receive.set_location("shed 2");
  ASSERT_TRUE(Call(&Stub::ReceiveLot, receive, &moved).status.ok());
  EXPECT_EQ(moved.lot().depot_id(), "D2");
  EXPECT_EQ(moved.lot().status(), v1::LOT_STATUS_IN_STOCK);
  receive.set_request_id("t5");
  EXPECT_EQ(Call(&Stub::ReceiveLot, receive, &moved).reason(), "LOT_NOT_IN_TRANSIT");

  v1::GetLotHistoryRequest hist;
  hist.set_lot_id("SMALL");
  v1::GetLotHistoryResponse history;
  ASSERT_TRUE(Call(&Stub::GetLotHistory, hist, &history, "auditor-token").status.ok());
  ASSERT_EQ(history.events_size(), 3);
  EXPECT_EQ(history.events(0).kind(), "inventory.acquire");
  EXPECT_EQ(history.events(1).kind(), "inventory.dispatch");
  EXPECT_EQ(history.events(2).kind(), "inventory.receive");
  EXPECT_EQ(history.events(2).principal(), "alice");
}

TEST_P(InventoryServiceTest, ReleaseMoreThanHeldThenPartialAndWhole) {
  MakeDepot("D1", "Gansu", 100);
  v1::AcquireLotsResponse acq;
  ASSERT_TRUE(Acquire("a1", {CopperLot("L1", "D1", 40)}, &acq).status.ok());
  v1::ReleaseLotsResponse rel;
  Outcome more = Release("r1", "L1", 40 * kTonne + 1, &rel);
  EXPECT_EQ(more.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(more.reason(), "INSUFFICIENT_STOCK");
  Outcome unknown = Release("r2", "NOPE", 0, &rel);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.reason(), "UNKNOWN_LOT");
  ASSERT_TRUE(Release("r3", "L1", 15 * kTonne, &rel).status.ok());
  EXPECT_EQ(rel.released_mass_g(), 15 * kTonne);
  EXPECT_EQ(rel.lots(0).net_mass_g(), 25 * kTonne);
  ASSERT_TRUE(Release("r4", "L1", 0, &rel).status.ok());
  EXPECT_EQ(rel.lots(0).status(), v1::LOT_STATUS_RELEASED);
  EXPECT_EQ(rel.lots(0).released_to(), "Ningbo Copper Works");
  EXPECT_EQ(HeldCu(), 0);
}

TEST_P(InventoryServiceTest, HoldingsAsOfPastDatesMatchHistory) {
  MakeDepot("D1", "Gansu", 100);
  MakeDepot("D2", "Yunnan", 100);
  v1::AcquireLotsResponse acq;
  ASSERT_TRUE(Acquire("a1", {CopperLot("L1", "D1", 40)}, &acq, Day(2024, 1, 10)).status.ok());
  v1::Lot local = CopperLot("L2", "D2", 10);
  local.set_reserve_class(v1::RESERVE_CLASS_LOCAL);
  local.set_owner("province:yunnan");
  ASSERT_TRUE(Acquire("a2", {local}, &acq, Day(2024, 2, 10)).status.ok());
  v1::ReleaseLotsResponse rel;
  ASSERT_TRUE(Release("r1", "L1", 30 * kTonne, &rel, "admin-token", Day(2024, 3, 10)).status.ok());

  v1::Date d1 = Day(2024, 1, 1), d2 = Day(2024, 1, 31), d3 = Day(2024, 2, 29),
           d4 = Day(2024, 3, 10);
  EXPECT_EQ(HeldCu(&d1), 0);
  EXPECT_EQ(HeldCu(&d2), 40 * kTonne);
  EXPECT_EQ(HeldCu(&d3), 50 * kTonne);
  EXPECT_EQ(HeldCu(&d4), 20 * kTonne);
  EXPECT_EQ(HeldCu(), 20 * kTonne);

  v1::GetHoldingsRequest req;
  req.add_group_by(v1::HOLDINGS_GROUP_KEY_PROVINCE);
  req.add_group_by(v1::HOLDINGS_GROUP_KEY_RESERVE_CLASS);
  req.add_group_by(v1::HOLDINGS_GROUP_KEY_OWNER);
  *req.mutable_as_of_date() = d3;
  v1::GetHoldingsResponse resp;
  ASSERT_TRUE(Call(&Stub::GetHoldings, req, &resp, "finance-token").status.ok());
  ASSERT_EQ(resp.rows_size(), 2);
  EXPECT_EQ(resp.rows(0).province(), "Gansu");
  EXPECT_EQ(resp.rows(0).reserve_class(), v1::RESERVE_CLASS_CENTRAL);
  EXPECT_EQ(resp.rows(0).mass_g(), 40 * kTonne);
  EXPECT_EQ(resp.rows(1).province(), "Yunnan");
  EXPECT_EQ(resp.rows(1).owner(), "province:yunnan");
  EXPECT_EQ(resp.rows(1).mass_g(), 10 * kTonne);

  req.add_group_by(v1::HOLDINGS_GROUP_KEY_UNSPECIFIED);
  EXPECT_EQ(Call(&Stub::GetHoldings, req, &resp).field(), "group_by[3]");
  req.clear_group_by();
  req.mutable_as_of_date()->set_month(13);
  EXPECT_EQ(Call(&Stub::GetHoldings, req, &resp).field(), "as_of_date");
}

TEST_P(InventoryServiceTest, RetryWithSameRequestIdReturnsSameResult) {
  MakeDepot("D1", "Gansu", 100);
  v1::AcquireLotsResponse first, again;
  ASSERT_TRUE(Acquire("same", {CopperLot("L1", "D1", 10)}, &first).status.ok());
  EXPECT_FALSE(first.commit().replayed());
  ASSERT_TRUE(Acquire("same", {CopperLot("L1", "D1", 10)}, &again).status.ok());
  EXPECT_TRUE(again.commit().replayed());
  EXPECT_EQ(again.commit().seq(), first.commit().seq());
  EXPECT_THAT(again.lot_ids(), ElementsAre("L1"));
  EXPECT_EQ(HeldCu(), 10 * kTonne);
  Outcome other = Acquire("same", {CopperLot("L1", "D1", 11)}, &again);
  EXPECT_EQ(other.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other.reason(), "REQUEST_ID_REUSED");

  v1::ReleaseLotsResponse r1, r2;
  ASSERT_TRUE(Release("rel", "L1", 0, &r1).status.ok());
  ASSERT_TRUE(Release("rel", "L1", 0, &r2).status.ok());
  EXPECT_TRUE(r2.commit().replayed());
  EXPECT_EQ(r2.lots(0).SerializeAsString(), r1.lots(0).SerializeAsString());
}

TEST_P(InventoryServiceTest, ConcurrentReleasesOfOneLotExactlyOneSucceeds) {
  MakeDepot("D1", "Gansu", 100);
  v1::AcquireLotsResponse acq;
  ASSERT_TRUE(Acquire("a1", {CopperLot("L1", "D1", 40)}, &acq).status.ok());
  constexpr int kClients = 8;
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      v1::ReleaseLotsResponse rel;
      Outcome o = Release(absl::StrCat("race-", i), "L1", 0, &rel);
      if (o.status.ok()) {
        ++ok;
      } else if (o.code() == absl::StatusCode::kFailedPrecondition &&
                 o.reason() == "LOT_RELEASED") {
        ++refused;
      } else {
        ADD_FAILURE() << o.status;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), kClients - 1);
  EXPECT_EQ(HeldCu(), 0);
}

TEST_P(InventoryServiceTest, RotationStockCountsAndApproval) {
  MakeDepot("D1", "Gansu", 40);
  v1::AcquireLotsResponse acq;
  v1::Lot old = CopperLot("OLD", "D1", 40);
  old.set_year_produced(1985);
  old.set_year_stored(1986);
  ASSERT_TRUE(Acquire("a1", {old}, &acq).status.ok());
  v1::RotateLotsRequest rot;
  rot.set_request_id("rot1");
  rot.add_release_lines()->set_lot_id("OLD");
  rot.set_buyer("Smelter");
  rot.set_reference("ROTATION-1");
  *rot.add_acquire_lots() = CopperLot("NEW", "D1", 40);
  v1::RotateLotsResponse rotated;
  Outcome o = Call(&Stub::RotateLots, rot, &rotated);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(rotated.released_lots(0).status(), v1::LOT_STATUS_RELEASED);
  EXPECT_THAT(rotated.acquired_lot_ids(), ElementsAre("NEW"));
  EXPECT_EQ(HeldCu(), 40 * kTonne);

  v1::RecordStockCountRequest count;
  count.set_request_id("count-1");
  count.set_lot_id("NEW");
  count.set_counted_mass_g(38 * kTonne);
  count.set_reason("annual count: two bundles short");
  v1::StockCountResponse counted;
  ASSERT_TRUE(Call(&Stub::RecordStockCount, count, &counted).status.ok());
  EXPECT_EQ(counted.count().status(), v1::STOCK_COUNT_STATUS_PENDING);
  EXPECT_EQ(HeldCu(), 40 * kTonne);

  v1::DecideStockCountRequest decide;
  decide.set_request_id("decide-1");
  decide.set_count_id("count-1");
  decide.set_approve(true);
  EXPECT_EQ(Call(&Stub::DecideStockCount, decide, &counted, "admin-token").code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Call(&Stub::DecideStockCount, decide, &counted, "approver-token").status.ok());
  EXPECT_EQ(counted.count().status(), v1::STOCK_COUNT_STATUS_POSTED);
  EXPECT_EQ(counted.count().approver(), "bob");
  EXPECT_EQ(HeldCu(), 38 * kTonne);

  v1::GetStockCountRequest get;
  get.set_count_id("count-1");
  v1::StockCount stored;
  ASSERT_TRUE(Call(&Stub::GetStockCount, get, &stored, "auditor-token").status.ok());
  EXPECT_EQ(stored.difference_g(), -2 * kTonne);
  get.set_count_id("nope");
  EXPECT_EQ(Call(&Stub::GetStockCount, get, &stored).code(), absl::StatusCode::kNotFound);
}

TEST_P(InventoryServiceTest, PriceMarksValuationAndDaysOfCover) {
  MakeDepot("D1", "Gansu", 100);
  v1::AcquireLotsResponse acq;
  ASSERT_TRUE(Acquire("a1", {CopperLot("L1", "D1", 50)}, &acq).status.ok());
  v1::ImportPriceMarksRequest csv;
  csv.set_request_id("prices-1");
  csv.set_csv(
      "date,metal,price_minor_per_t,currency,source\n"
      "2024-01-31,CU,6800000,CNY,\"World Bank Pink Sheet, converted\"\n"
      "2024-02-29,CU,6500000,CNY,World Bank\n");
  v1::AddPriceMarksResponse added;
  Outcome o = Call(&Stub::ImportPriceMarks, csv, &added);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(added.count(), 2);
  v1::AddPriceMarksRequest one;
  one.set_request_id("prices-2");
  v1::PriceMark* mark = one.add_marks();
  mark->set_metal("CU");
  *mark->mutable_date() = Day(2024, 3, 29);
  mark->set_price_minor_per_t(7'000'000);
  mark->set_currency("CNY");
  mark->set_source("desk");
  ASSERT_TRUE(Call(&Stub::AddPriceMarks, one, &added).status.ok());
  one.set_request_id("prices-3");
  one.mutable_marks(0)->set_price_minor_per_t(0);
  EXPECT_EQ(Call(&Stub::AddPriceMarks, one, &added).field(), "marks[0].price_minor_per_t");

  v1::ListPriceMarksRequest list;
  list.set_metal("CU");
  *list.mutable_to_date() = Day(2024, 2, 29);
  v1::ListPriceMarksResponse marks;
  ASSERT_TRUE(Call(&Stub::ListPriceMarks, list, &marks, "finance-token").status.ok());
  ASSERT_EQ(marks.marks_size(), 2);
  EXPECT_EQ(marks.marks(0).source(), "World Bank Pink Sheet, converted");

  v1::GetValuationRequest val;
  v1::GetValuationResponse valued;
  ASSERT_TRUE(Call(&Stub::GetValuation, val, &valued, "finance-token").status.ok());
  ASSERT_EQ(valued.rows_size(), 1);
  EXPECT_EQ(valued.rows(0).book_cost_minor(), 50 * 6'000'000);
  EXPECT_EQ(valued.rows(0).market_value_minor(), 50 * 7'000'000);
  EXPECT_EQ(valued.rows(0).unrealised_gain_minor(), 50 * 1'000'000);
  *val.mutable_as_of_date() = Day(2024, 2, 29);
  ASSERT_TRUE(Call(&Stub::GetValuation, val, &valued, "finance-token").status.ok());
  EXPECT_EQ(valued.rows(0).price_minor_per_t(), 6'500'000);

  csv.set_request_id("prices-4");
  csv.set_csv("metal,date,price_minor_per_t,currency,source\nCU,2024-01-31,\"68\"00,CNY,x\n");
  EXPECT_EQ(Call(&Stub::ImportPriceMarks, csv, &added).code(), absl::StatusCode::kInvalidArgument);

  v1::GetDaysOfCoverRequest cover;
  cover.set_metal("CU");
  cover.set_consumption_g_per_day(20 * kTonne);
  v1::GetDaysOfCoverResponse days;
  ASSERT_TRUE(Call(&Stub::GetDaysOfCover, cover, &days, "finance-token").status.ok());
  EXPECT_EQ(days.whole_days(), 2);
  EXPECT_DOUBLE_EQ(days.days(), 2.5);
  cover.set_consumption_g_per_day(0);
  EXPECT_EQ(Call(&Stub::GetDaysOfCover, cover, &days).field(), "consumption_g_per_day");
}

TEST_P(InventoryServiceTest, ListLotsFiltersAndPages) {
  MakeDepot("D1", "Gansu", 100);
  MakeDepot("D2", "Yunnan", 100);
  std::vector<v1::Lot> lots;
  for (int i = 0; i < 6; ++i)
    lots.push_back(CopperLot(absl::StrCat("L", i), i < 2 ? "D2" : "D1", 1));
  v1::AcquireLotsResponse acq;
  ASSERT_TRUE(Acquire("a1", lots, &acq).status.ok());
  v1::ListLotsRequest req;
  req.set_page_size(2);
  req.set_depot_id("D1");
  std::vector<std::string> ids;
  do {
    v1::ListLotsResponse page;
    ASSERT_TRUE(Call(&Stub::ListLots, req, &page, "finance-token").status.ok());
    for (const v1::Lot& l : page.lots()) ids.push_back(l.lot_id());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  EXPECT_THAT(ids, ElementsAre("L2", "L3", "L4", "L5"));
  req.clear_depot_id();
  req.set_province("Yunnan");
  req.set_page_size(100);
  v1::ListLotsResponse page;
  ASSERT_TRUE(Call(&Stub::ListLots, req, &page).status.ok());
  EXPECT_EQ(page.lots_size(), 2);
}

INSTANTIATE_TEST_SUITE_P(Deployments, InventoryServiceTest, testing::kDeployments,
                         testing::DeploymentName);

}  // namespace
}  // namespace reserve
