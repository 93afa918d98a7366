// A bank's event stream across a crash of the real server: `reserved serve` (every
// service, its own data dir) is SIGKILLed while the bank follows its events; a new process
// on the same store resumes the stream from the bank's cursor (seq, index). The events the
// bank ends up with are exactly the journal's events for it: none lost, none repeated,
// including the margin call raised by the mark-to-market follower after the restart.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reserve/v1/commercial.grpc.pb.h"
#include "reserve/v1/financing.grpc.pb.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"
#include "tests/support/service_env.h"

namespace reserve::testing {
namespace {

constexpr char kAdmin[] = "tok-events-admin-0123456789";
constexpr char kBank[] = "tok-events-icbc-0123456789";
constexpr int64_t kTonne = 1'000'000;

class EventsRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ScratchDir::Create("events_restart_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    ASSERT_TRUE(WriteFile(dir_->Sub("tokens"), absl::StrCat(kAdmin, " alice admin\n", kBank,
                                                            " icbc-officer bank:icbc\n"))
                    .ok());
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  void Start() {
    ReservedOptions options;
    options.work_dir = dir_->path();
    options.serve_args = {"--services=all", absl::StrCat("--data-dir=", dir_->Sub("data")),
                          absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
    auto server = ReservedProcess::Start(RESERVED_BINARY, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = OwnChannel(server_->address());
    inv_ = v1::InventoryService::NewStub(channel);
    com_ = v1::CommercialReserveService::NewStub(channel);
    fin_ = v1::FinancingService::NewStub(channel);
  }

  void Ok(const grpc::Status& s, absl::string_view what) {
    ASSERT_TRUE(s.ok()) << what << ": " << s.error_code() << " " << s.error_message() << "\n"
                        << server_->StderrTail();
  }

  void Price(int day, int64_t price) {
    v1::AddPriceMarksRequest req;
    req.set_request_id(absl::StrCat("price-", day));
    v1::PriceMark* m = req.add_marks();
    m->set_metal("CU");
    *m->mutable_date() = Day(2024, 3, day);
    m->set_price_minor_per_t(price);
    m->set_currency("CNY");
    m->set_source("test");
    v1::AddPriceMarksResponse resp;
    Ok(inv_->AddPriceMarks(ContextWithToken(kAdmin).get(), req, &resp), "AddPriceMarks");
  }

  // Pledges `lot` for the bank; retries NO_PRICE_MARK until the follower marked the price.
  std::string Pledge(const std::string& rid, const std::string& lot, int64_t principal) {
    v1::CreatePledgeRequest req;
    req.set_request_id(rid);
    *req.mutable_business_date() = Day(2024, 3, 5);
    req.set_borrower_enterprise_id("ent-a");
    req.add_lot_ids(lot);
    req.set_principal_minor(principal);
    req.set_currency("CNY");
    *req.mutable_maturity_date() = Day(2025, 3, 5);
    req.set_max_ltv_bp(7000);
    req.set_margin_call_ltv_bp(8000);
    for (int attempt = 0; attempt < 600; ++attempt) {
      v1::PledgeResponse resp;
      grpc::Status s = fin_->CreatePledge(ContextWithToken(kBank).get(), req, &resp);
      if (s.ok()) return resp.pledge().pledge_id();
      if (s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
        ADD_FAILURE() << s.error_message();
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the price was never marked";
    return "";
  }

  // Follows the bank's events after the cursor until `count` arrived (bounded by a deadline).
  std::vector<v1::PledgeEvent> Follow(uint64_t after_seq, uint32_t after_index, uint32_t count) {
    v1::WatchEventsRequest req;
    req.set_after_seq(after_seq);
    req.set_after_index(after_index);
    req.set_follow(true);
    req.set_max_events(count);
    auto ctx = ContextWithToken(kBank);
    auto reader = fin_->WatchEvents(ctx.get(), req);
    std::vector<v1::PledgeEvent> out;
    v1::PledgeEvent e;
    while (reader->Read(&e)) out.push_back(e);
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return out;
  }

  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ReservedProcess> server_;
  std::unique_ptr<v1::InventoryService::Stub> inv_;
  std::unique_ptr<v1::CommercialReserveService::Stub> com_;
  std::unique_ptr<v1::FinancingService::Stub> fin_;
};

TEST_F(EventsRestartTest, StreamResumesAfterSigkillWithNothingLostOrRepeated) {
  {
    v1::CreateDepotRequest req;
    req.set_request_id("depot");
    v1::Depot* d = req.mutable_depot();
    d->set_depot_id("D1");
    d->set_name("Lanzhou bonded warehouse");
    d->set_province("Gansu");
    d->set_operator_name("Operator");
    d->set_kind(v1::DEPOT_KIND_COMMERCIAL);
    d->set_approved_for_pledge(true);
    (*d->mutable_capacity_g())["CU"] = 1000 * kTonne;
    v1::DepotResponse resp;
    Ok(inv_->CreateDepot(ContextWithToken(kAdmin).get(), req, &resp), "CreateDepot");
  }
  {
    v1::EnrolEnterpriseRequest req;
    req.set_request_id("enrol");
    v1::Enterprise* e = req.mutable_enterprise();
    e->set_enterprise_id("ent-a");
    e->set_name("Jinchuan Group");
    e->set_province("Gansu");
    e->add_metals("CU");
    e->add_depot_ids("D1");
    v1::EnterpriseResponse resp;
    Ok(com_->EnrolEnterprise(ContextWithToken(kAdmin).get(), req, &resp), "EnrolEnterprise");
  }
  {
    v1::AcquireLotsRequest req;
    req.set_request_id("lots");
    *req.mutable_business_date() = Day(2024, 1, 10);
    for (int i = 1; i <= 4; ++i) {
      v1::Lot* l = req.add_lots();
      l->set_lot_id(absl::StrCat("L", i));
      l->set_metal("CU");
      l->set_grade("Cu-CATH-1");
      l->set_brand("Jinchuan");
      l->set_form("cathode");
      l->set_pieces(10);
      l->set_net_mass_g(10 * kTonne);
      l->set_gross_mass_g(10 * kTonne);
      l->set_depot_id("D1");
      l->set_year_produced(2020);
      l->set_year_stored(2021);
      l->set_currency("CNY");
      l->set_reserve_class(v1::RESERVE_CLASS_COMMERCIAL);
      l->set_owner("ent-a");
    }
    v1::AcquireLotsResponse resp;
    Ok(inv_->AcquireLots(ContextWithToken(kAdmin).get(), req, &resp), "AcquireLots");
  }
  Price(1, 6'000'000);
  const std::string p1 = Pledge("p1", "L1", 30'000'000);
  const std::string p2 = Pledge("p2", "L2", 41'400'000);  // 69%

  // The bank follows its stream, reads both events, and the server is killed under it.
  v1::PledgeEvent last;
  {
    v1::WatchEventsRequest req;
    req.set_follow(true);
    auto ctx = ContextWithToken(kBank);
    auto reader = fin_->WatchEvents(ctx.get(), req);
    ASSERT_TRUE(reader->Read(&last));
    ASSERT_TRUE(reader->Read(&last));
    EXPECT_EQ(last.pledge_id(), p2);
    auto exit = server_->Stop(SIGKILL);
    ASSERT_TRUE(exit.ok()) << exit.status();
    v1::PledgeEvent more;
    while (reader->Read(&more)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_NO_FATAL_FAILURE(Start());

  // After the restart: a repayment, a price drop (a margin call on p2 from the restarted
  // follower), a new pledge.
  {
    v1::RepayPledgeRequest req;
    req.set_request_id("repay-p1");
    *req.mutable_business_date() = Day(2024, 4, 1);
    req.set_pledge_id(p1);
    v1::PledgeResponse resp;
    Ok(fin_->RepayPledge(ContextWithToken(kBank).get(), req, &resp), "RepayPledge");
  }
  Price(10, 5'000'000);  // p2: 41,400,000 / 50,000,000 = 82.8% >= 80%
  std::vector<v1::PledgeEvent> resumed = Follow(last.seq(), last.index(), 2);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].kind(), v1::PLEDGE_EVENT_KIND_RELEASED);
  EXPECT_EQ(resumed[0].pledge_id(), p1);
  EXPECT_EQ(resumed[1].kind(), v1::PLEDGE_EVENT_KIND_MARGIN_CALL);
  EXPECT_EQ(resumed[1].pledge_id(), p2);
  EXPECT_EQ(resumed[1].ltv_bp(), 8280);
  const std::string p3 = Pledge("p3", "L3", 10'000'000);
  std::vector<v1::PledgeEvent> tail = Follow(resumed[1].seq(), resumed[1].index(), 1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].pledge_id(), p3);

  // Stitched together, the bank's view equals the whole stream from the start.
  std::vector<v1::PledgeEvent> all = Follow(0, 0, 5);
  ASSERT_EQ(all.size(), 5u);
  std::vector<std::pair<uint64_t, uint32_t>> whole, stitched;
  for (const v1::PledgeEvent& e : all) whole.emplace_back(e.seq(), e.index());
  stitched.emplace_back(all[0].seq(), all[0].index());
  stitched.emplace_back(last.seq(), last.index());
  for (const v1::PledgeEvent& e : resumed) stitched.emplace_back(e.seq(), e.index());
  stitched.emplace_back(tail[0].seq(), tail[0].index());
  EXPECT_EQ(stitched, whole);
  auto exit = server_->Stop(SIGTERM);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0) << server_->StderrTail();
}

}  // namespace
}  // namespace reserve::testing
