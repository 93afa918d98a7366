#include "services/inventory/inventory_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/domain_glue.h"
#include "services/common/grpc_status.h"
#include "services/inventory/lot_proto.h"
#include "storage/errors.h"

namespace reserve {
namespace {

namespace inv = inventory;

std::string FullMethod(absl::string_view method) {
  return absl::StrCat("/reserve.v1.InventoryService/", method);
}

// ---- Enums (the proto and domain numberings agree; unknown values are unspecified) ----
inv::ReserveClass FromProto(v1::ReserveClass c) {
  return v1::ReserveClass_IsValid(c) ? static_cast<inv::ReserveClass>(c)
                                     : inv::ReserveClass::kUnspecified;
}
v1::ReserveClass ToProto(inv::ReserveClass c) { return static_cast<v1::ReserveClass>(c); }
inv::DepotKind FromProto(v1::DepotKind k) {
  return v1::DepotKind_IsValid(k) ? static_cast<inv::DepotKind>(k) : inv::DepotKind::kUnspecified;
}
v1::DepotKind ToProto(inv::DepotKind k) { return static_cast<v1::DepotKind>(k); }
inv::LotStatus FromProto(v1::LotStatus s) {
  return v1::LotStatus_IsValid(s) ? static_cast<inv::LotStatus>(s) : inv::LotStatus::kUnspecified;
}
v1::StockCountStatus ToProto(inv::CountStatus s) { return static_cast<v1::StockCountStatus>(s); }

// ---- Messages ----
inv::Metal FromProto(const v1::Metal& m) {
  inv::Metal out{m.code(), m.name_zh(), m.name_en(), {}};
  for (const v1::Grade& g : m.grades()) out.grades.push_back({g.code(), g.standard()});
  return out;
}

void ToProto(const inv::Metal& m, v1::Metal* out) {
  out->set_code(m.code);
  out->set_name_zh(m.name_zh);
  out->set_name_en(m.name_en);
  for (const inv::Grade& g : m.grades) {
    v1::Grade* pg = out->add_grades();
    pg->set_code(g.code);
    pg->set_standard(g.standard);
  }
}

inv::Depot FromProto(const v1::Depot& d) {
  inv::Depot out{d.depot_id(),
                 d.name(),
                 d.province(),
                 d.operator_name(),
                 FromProto(d.kind()),
                 d.approved_for_pledge(),
                 {}};
  for (const auto& [metal, cap] : d.capacity_g()) out.capacity_g[metal] = cap;
  return out;
}

void ToProto(const inv::Depot& d, v1::Depot* out) {
  out->set_depot_id(d.id);
  out->set_name(d.name);
  out->set_province(d.province);
  out->set_operator_name(d.operator_name);
  out->set_kind(ToProto(d.kind));
  out->set_approved_for_pledge(d.approved_for_pledge);
  for (const auto& [metal, cap] : d.capacity_g) (*out->mutable_capacity_g())[metal] = cap;
}

inv::Lot FromProto(const v1::Lot& l) {
  inv::Lot out;
  out.id = l.lot_id();
  out.metal = l.metal();
  out.grade = l.grade();
  out.brand = l.brand();
  out.form = l.form();
  out.pieces = l.pieces();
  out.net_mass_g = l.net_mass_g();
  out.gross_mass_g = l.gross_mass_g();
  out.depot = l.depot_id();
  out.location = l.location();
  out.year_produced = l.year_produced();
  out.year_stored = l.year_stored();
  out.cost_minor = l.cost_minor();
  out.currency = l.currency();
  out.reserve_class = FromProto(l.reserve_class());
  out.owner = l.owner();
  return out;
}

using inventory_glue::ToProto;  // the lot message (lot_proto.h)

void ToProto(const inv::StockCount& c, v1::StockCount* out) {
  out->set_count_id(c.id);
  out->set_lot_id(c.lot_id);
  out->set_metal(c.metal);
  out->set_depot_id(c.depot);
  out->set_book_mass_g(c.book_mass_g);
  out->set_counted_mass_g(c.counted_mass_g);
  out->set_difference_g(c.difference_g);
  out->set_reason(c.reason);
  out->set_counter(c.counter);
  out->set_approver(c.approver);
  out->set_status(ToProto(c.status));
  ToProtoDate(c.business_date, out->mutable_business_date());
}

void ToProto(const inv::PriceMark& m, v1::PriceMark* out) {
  out->set_metal(m.metal);
  ToProtoDate(m.date, out->mutable_date());
  out->set_price_minor_per_t(m.price_minor_per_t);
  out->set_currency(m.currency);
  out->set_source(m.source);
}

void ToProto(const inv::HoldingRow& h, v1::HoldingRow* out) {
  out->set_metal(h.metal);
  out->set_depot_id(h.depot);
  out->set_province(h.province);
  out->set_reserve_class(
      ToProto(inv::ParseReserveClass(h.reserve_class).value_or(inv::ReserveClass::kUnspecified)));
  out->set_owner(h.owner);
  out->set_mass_g(h.mass_g);
}

std::vector<inv::ReleaseLine> FromProto(
    const google::protobuf::RepeatedPtrField<v1::ReleaseLine>& lines) {
  std::vector<inv::ReleaseLine> out;
  for (const v1::ReleaseLine& l : lines) out.push_back({l.lot_id(), l.mass_g()});
  return out;
}

// Pages over a short in-memory list (metals, depots): the token is the next offset.
absl::StatusOr<std::pair<size_t, size_t>> OffsetPage(int32_t page_size, const std::string& token,
                                                     size_t total) {
  absl::StatusOr<size_t> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  size_t start = 0;
  if (!token.empty() && (!absl::SimpleAtoi(token, &start) || start > total)) {
    return InvalidField("page_token", "not a token this service issued");
  }
  return std::make_pair(start, std::min(total, start + *size));
}

absl::StatusOr<inv::HoldingsQuery> FromProtoQuery(
    const google::protobuf::RepeatedField<int>& group_by, const v1::Date* as_of,
    const std::string& metal) {
  inv::HoldingsQuery q;
  q.metal = metal;
  for (int i = 0; i < group_by.size(); ++i) {
    switch (group_by[i]) {
      case v1::HOLDINGS_GROUP_KEY_METAL:
        q.group_by.push_back(inv::GroupKey::kMetal);
        break;
      case v1::HOLDINGS_GROUP_KEY_DEPOT:
        q.group_by.push_back(inv::GroupKey::kDepot);
        break;
      case v1::HOLDINGS_GROUP_KEY_PROVINCE:
        q.group_by.push_back(inv::GroupKey::kProvince);
        break;
      case v1::HOLDINGS_GROUP_KEY_RESERVE_CLASS:
        q.group_by.push_back(inv::GroupKey::kClass);
        break;
      case v1::HOLDINGS_GROUP_KEY_OWNER:
        q.group_by.push_back(inv::GroupKey::kOwner);
        break;
      default:
        return InvalidField(absl::StrCat("group_by[", i, "]"), "unspecified or unknown key");
    }
  }
  if (as_of != nullptr) {
    absl::StatusOr<absl::CivilDay> day = FromProtoDate(*as_of, "as_of_date");
    if (!day.ok()) return day.status();
    q.as_of = *day;
  }
  return q;
}

}  // namespace

absl::StatusOr<std::unique_ptr<InventoryServiceImpl>> InventoryServiceImpl::Create(
    ledger::Ledger& ledger, const Authorizer& authorizer, inventory::InventoryOptions options) {
  absl::StatusOr<std::unique_ptr<inv::Inventory>> inventory =
      inv::Inventory::Create(ledger, options);
  if (!inventory.ok()) return inventory.status();
  return std::unique_ptr<InventoryServiceImpl>(
      new InventoryServiceImpl(*std::move(inventory), authorizer));
}

absl::StatusOr<Principal> InventoryServiceImpl::Authorize(grpc::ServerContext* context,
                                                          absl::string_view method) const {
  return authorizer_.Authorize(context, FullMethod(method));
}

// ---- Catalog ----

grpc::Status InventoryServiceImpl::ListMetals(grpc::ServerContext* context,
                                              const v1::ListMetalsRequest* request,
                                              v1::ListMetalsResponse* response) {
  if (auto who = Authorize(context, "ListMetals"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<std::vector<inv::Metal>> metals = inventory_->ListMetals();
  if (!metals.ok()) return ToGrpcStatus(metals.status());
  auto range = OffsetPage(request->page_size(), request->page_token(), metals->size());
  if (!range.ok()) return ToGrpcStatus(range.status());
  for (size_t i = range->first; i < range->second; ++i)
    ToProto((*metals)[i], response->add_metals());
  if (range->second < metals->size()) response->set_next_page_token(absl::StrCat(range->second));
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::GetMetal(grpc::ServerContext* context,
                                            const v1::GetMetalRequest* request,
                                            v1::Metal* response) {
  if (auto who = Authorize(context, "GetMetal"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Metal> metal = inventory_->GetMetal(request->code());
  if (!metal.ok()) return ToGrpcStatus(metal.status());
  ToProto(*metal, response);
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::CreateMetal(grpc::ServerContext* context,
                                               const v1::CreateMetalRequest* request,
                                               v1::CreateMetalResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "CreateMetal");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->AddMetal(*ctx, FromProto(request->metal()));
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_metal());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::AddGrade(grpc::ServerContext* context,
                                            const v1::AddGradeRequest* request,
                                            v1::AddGradeResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "AddGrade");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->AddGrade(*ctx, request->metal(),
                                   {request->grade().code(), request->grade().standard()});
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_metal());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

// ---- Depots ----

grpc::Status InventoryServiceImpl::CreateDepot(grpc::ServerContext* context,
                                               const v1::CreateDepotRequest* request,
                                               v1::DepotResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "CreateDepot");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->CreateDepot(*ctx, FromProto(request->depot()));
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_depot());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::UpdateDepot(grpc::ServerContext* context,
                                               const v1::UpdateDepotRequest* request,
                                               v1::DepotResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "UpdateDepot");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->UpdateDepot(*ctx, FromProto(request->depot()));
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_depot());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::GetDepot(grpc::ServerContext* context,
                                            const v1::GetDepotRequest* request,
                                            v1::GetDepotResponse* response) {
  if (auto who = Authorize(context, "GetDepot"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Depot> depot = inventory_->GetDepot(request->depot_id());
  if (!depot.ok()) return ToGrpcStatus(depot.status());
  ToProto(*depot, response->mutable_depot());
  for (const auto& [metal, cap] : depot->capacity_g) {
    absl::StatusOr<int64_t> free = inventory_->FreeCapacity(depot->id, metal);
    if (!free.ok()) return ToGrpcStatus(free.status());
    (*response->mutable_free_capacity_g())[metal] = *free;
  }
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::ListDepots(grpc::ServerContext* context,
                                              const v1::ListDepotsRequest* request,
                                              v1::ListDepotsResponse* response) {
  if (auto who = Authorize(context, "ListDepots"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<std::vector<inv::Depot>> depots = inventory_->ListDepots();
  if (!depots.ok()) return ToGrpcStatus(depots.status());
  auto range = OffsetPage(request->page_size(), request->page_token(), depots->size());
  if (!range.ok()) return ToGrpcStatus(range.status());
  for (size_t i = range->first; i < range->second; ++i)
    ToProto((*depots)[i], response->add_depots());
  if (range->second < depots->size()) response->set_next_page_token(absl::StrCat(range->second));
  return grpc::Status::OK;
}

// ---- Lots ----

grpc::Status InventoryServiceImpl::GetLot(grpc::ServerContext* context,
                                          const v1::GetLotRequest* request, v1::Lot* response) {
  if (auto who = Authorize(context, "GetLot"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Lot> lot = inventory_->GetLot(request->lot_id());
  if (!lot.ok()) return ToGrpcStatus(lot.status());
  ToProto(*lot, response);
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::ListLots(grpc::ServerContext* context,
                                            const v1::ListLotsRequest* request,
                                            v1::ListLotsResponse* response) {
  if (auto who = Authorize(context, "ListLots"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<size_t> size = PageSize(request->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  inv::LotFilter filter;
  filter.metal = request->metal();
  filter.depot = request->depot_id();
  filter.province = request->province();
  filter.owner = request->owner();
  filter.brand = request->brand();
  filter.reserve_class = FromProto(request->reserve_class());
  filter.status = FromProto(request->status());
  filter.year_produced = request->year_produced();
  absl::StatusOr<inv::LotPage> page = inventory_->ListLots(filter, *size, request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const inv::Lot& l : page->lots) ToProto(l, response->add_lots());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::GetLotHistory(grpc::ServerContext* context,
                                                 const v1::GetLotHistoryRequest* request,
                                                 v1::GetLotHistoryResponse* response) {
  if (auto who = Authorize(context, "GetLotHistory"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<std::vector<inv::LotEvent>> events = inventory_->LotHistory(request->lot_id());
  if (!events.ok()) return ToGrpcStatus(events.status());
  for (const inv::LotEvent& e : *events) {
    v1::LotEvent* pe = response->add_events();
    pe->set_seq(e.seq);
    pe->set_kind(e.kind);
    pe->set_principal(e.principal);
    ToProtoDate(e.business_date, pe->mutable_business_date());
    pe->set_memo(e.memo);
    ToProto(e.lot, pe->mutable_lot());
  }
  return grpc::Status::OK;
}

// ---- Movements ----

void InventoryServiceImpl::ArmAll(grpc::ServerCompletionQueue* cq, AsyncHost& host) {
  if (acquire_lots_ == nullptr) {
    acquire_lots_ = MakeUnaryMethod<v1::AcquireLotsRequest, v1::AcquireLotsResponse>(
        this, "/reserve.v1.InventoryService/AcquireLots", &InventoryServiceImpl::RequestAcquireLots,
        &InventoryServiceImpl::AcquireLots);
  }
  ArmUnary(acquire_lots_, cq, host);
}

void InventoryServiceImpl::AcquireLots(grpc::ServerContext* context,
                                       const v1::AcquireLotsRequest& request,
                                       v1::AcquireLotsResponse* response, Reply reply) {
  absl::StatusOr<Principal> who = Authorize(context, "AcquireLots");
  if (!who.ok()) return reply(ToGrpcStatus(who.status()));
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request.request_id(), request.has_business_date(), request.business_date());
  if (!ctx.ok()) return reply(ToGrpcStatus(ctx.status()));
  inv::AcquireRequest acquire;
  for (const v1::Lot& l : request.lots()) acquire.lots.push_back(FromProto(l));
  acquire.order_id = request.order_id();
  acquire.memo = request.memo();
  inventory_->AcquireAsync(
      *ctx, std::move(acquire),
      [response, reply = std::move(reply)](auto done) {
        if (!done.ok()) return reply(ToGrpcStatus(done.status()));
        for (const std::string& id : done->value) response->add_lot_ids(id);
        SetCommit(*done, response->mutable_commit());
        reply(grpc::Status::OK);
      });
}

grpc::Status InventoryServiceImpl::DispatchLot(grpc::ServerContext* context,
                                               const v1::DispatchLotRequest* request,
                                               v1::TransferResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "DispatchLot");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->Dispatch(*ctx, request->lot_id(), request->to_depot_id());
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_lot());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::ReceiveLot(grpc::ServerContext* context,
                                              const v1::ReceiveLotRequest* request,
                                              v1::TransferResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ReceiveLot");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->Receive(*ctx, request->lot_id(), request->location());
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_lot());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::ReleaseLots(grpc::ServerContext* context,
                                               const v1::ReleaseLotsRequest* request,
                                               v1::ReleaseLotsResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ReleaseLots");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  inv::ReleaseRequest release{FromProto(request->lines()), request->buyer(), request->reference(),
                              request->order_id(), request->memo()};
  auto done = inventory_->Release(*ctx, release);
  if (!done.ok()) return ToGrpcStatus(done.status());
  for (const inv::Lot& l : done->value.lots) ToProto(l, response->add_lots());
  response->set_released_mass_g(done->value.mass_g);
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::RotateLots(grpc::ServerContext* context,
                                              const v1::RotateLotsRequest* request,
                                              v1::RotateLotsResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RotateLots");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  inv::RotateRequest rotate;
  rotate.release = {FromProto(request->release_lines()), request->buyer(), request->reference(),
                    request->release_order_id(), request->memo()};
  for (const v1::Lot& l : request->acquire_lots()) rotate.acquire.lots.push_back(FromProto(l));
  rotate.acquire.order_id = request->acquire_order_id();
  auto done = inventory_->Rotate(*ctx, rotate);
  if (!done.ok()) return ToGrpcStatus(done.status());
  for (const inv::Lot& l : done->value.released.lots) ToProto(l, response->add_released_lots());
  response->set_released_mass_g(done->value.released.mass_g);
  for (const std::string& id : done->value.acquired_lot_ids) response->add_acquired_lot_ids(id);
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::RecordStockCount(grpc::ServerContext* context,
                                                    const v1::RecordStockCountRequest* request,
                                                    v1::StockCountResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "RecordStockCount");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->RecordStockCount(
      *ctx, {request->lot_id(), request->counted_mass_g(), request->reason()});
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_count());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::DecideStockCount(grpc::ServerContext* context,
                                                    const v1::DecideStockCountRequest* request,
                                                    v1::StockCountResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "DecideStockCount");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(
      *who, request->request_id(), request->has_business_date(), request->business_date());
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->DecideStockCount(*ctx, request->count_id(), request->approve());
  if (!done.ok()) return ToGrpcStatus(done.status());
  ToProto(done->value, response->mutable_count());
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::GetStockCount(grpc::ServerContext* context,
                                                 const v1::GetStockCountRequest* request,
                                                 v1::StockCount* response) {
  if (auto who = Authorize(context, "GetStockCount"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<inv::StockCount> count = inventory_->GetStockCount(request->count_id());
  if (!count.ok()) return ToGrpcStatus(count.status());
  ToProto(*count, response);
  return grpc::Status::OK;
}

// ---- Queries ----

grpc::Status InventoryServiceImpl::GetHoldings(grpc::ServerContext* context,
                                               const v1::GetHoldingsRequest* request,
                                               v1::GetHoldingsResponse* response) {
  if (auto who = Authorize(context, "GetHoldings"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::HoldingsQuery> query = FromProtoQuery(
      request->group_by(), request->has_as_of_date() ? &request->as_of_date() : nullptr,
      request->metal());
  if (!query.ok()) return ToGrpcStatus(query.status());
  absl::StatusOr<inv::Holdings> holdings = inventory_->GetHoldings(*query);
  if (!holdings.ok()) return ToGrpcStatus(holdings.status());
  for (const inv::HoldingRow& h : holdings->rows) ToProto(h, response->add_rows());
  response->set_as_of_seq(holdings->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::GetValuation(grpc::ServerContext* context,
                                                const v1::GetValuationRequest* request,
                                                v1::GetValuationResponse* response) {
  if (auto who = Authorize(context, "GetValuation"); !who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::HoldingsQuery> query = FromProtoQuery(
      request->group_by(), request->has_as_of_date() ? &request->as_of_date() : nullptr,
      request->metal());
  if (!query.ok()) return ToGrpcStatus(query.status());
  absl::StatusOr<std::vector<inv::ValuationRow>> rows = inventory_->Valuate(*query);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  for (const inv::ValuationRow& r : *rows) {
    v1::ValuationRow* pr = response->add_rows();
    ToProto(r.holding, pr->mutable_holding());
    pr->set_currency(r.currency);
    pr->set_book_cost_minor(r.book_cost_minor);
    pr->set_priced(r.priced);
    if (r.priced) {
      ToProtoDate(r.price_date, pr->mutable_price_date());
      pr->set_price_minor_per_t(r.price_minor_per_t);
      pr->set_market_value_minor(r.market_value_minor);
      pr->set_unrealised_gain_minor(r.unrealised_minor);
    }
  }
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::GetDaysOfCover(grpc::ServerContext* context,
                                                  const v1::GetDaysOfCoverRequest* request,
                                                  v1::GetDaysOfCoverResponse* response) {
  if (auto who = Authorize(context, "GetDaysOfCover"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::StatusOr<inv::DaysOfCover> cover =
      inventory_->ComputeDaysOfCover(request->metal(), request->consumption_g_per_day());
  if (!cover.ok()) return ToGrpcStatus(cover.status());
  response->set_held_g(cover->held_g);
  response->set_consumption_g_per_day(cover->consumption_g_per_day);
  response->set_whole_days(cover->whole_days);
  response->set_days(cover->days);
  return grpc::Status::OK;
}

// ---- Price marks ----

grpc::Status InventoryServiceImpl::AddPriceMarks(grpc::ServerContext* context,
                                                 const v1::AddPriceMarksRequest* request,
                                                 v1::AddPriceMarksResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "AddPriceMarks");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  std::vector<inv::PriceMark> marks;
  for (int i = 0; i < request->marks_size(); ++i) {
    const v1::PriceMark& m = request->marks(i);
    absl::StatusOr<absl::CivilDay> day =
        FromProtoDate(m.date(), absl::StrCat("marks[", i, "].date"));
    if (!day.ok()) return ToGrpcStatus(day.status());
    marks.push_back({m.metal(), *day, m.price_minor_per_t(), m.currency(), m.source()});
  }
  auto done = inventory_->AddPriceMarks(*ctx, marks);
  if (!done.ok()) return ToGrpcStatus(done.status());
  response->set_count(static_cast<int64_t>(done->value));
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::ImportPriceMarks(grpc::ServerContext* context,
                                                    const v1::ImportPriceMarksRequest* request,
                                                    v1::AddPriceMarksResponse* response) {
  absl::StatusOr<Principal> who = Authorize(context, "ImportPriceMarks");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<inv::Context> ctx = MakeContext(*who, request->request_id(), false, {});
  if (!ctx.ok()) return ToGrpcStatus(ctx.status());
  auto done = inventory_->ImportPriceMarksCsv(*ctx, request->csv());
  if (!done.ok()) return ToGrpcStatus(done.status());
  response->set_count(static_cast<int64_t>(done->value));
  SetCommit(*done, response->mutable_commit());
  return grpc::Status::OK;
}

grpc::Status InventoryServiceImpl::ListPriceMarks(grpc::ServerContext* context,
                                                  const v1::ListPriceMarksRequest* request,
                                                  v1::ListPriceMarksResponse* response) {
  if (auto who = Authorize(context, "ListPriceMarks"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  absl::CivilDay from = ledger::kMinBusinessDate;
  absl::CivilDay to = ledger::kMaxBusinessDate;
  if (request->has_from_date()) {
    absl::StatusOr<absl::CivilDay> day = FromProtoDate(request->from_date(), "from_date");
    if (!day.ok()) return ToGrpcStatus(day.status());
    from = *day;
  }
  if (request->has_to_date()) {
    absl::StatusOr<absl::CivilDay> day = FromProtoDate(request->to_date(), "to_date");
    if (!day.ok()) return ToGrpcStatus(day.status());
    to = *day;
  }
  absl::StatusOr<std::vector<inv::PriceMark>> marks =
      inventory_->ListPriceMarks(request->metal(), from, to);
  if (!marks.ok()) return ToGrpcStatus(marks.status());
  for (const inv::PriceMark& m : *marks) ToProto(m, response->add_marks());
  return grpc::Status::OK;
}

}  // namespace reserve
