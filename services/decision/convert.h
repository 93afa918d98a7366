// DecisionService glue: proto <-> domain conversions (one place, so that the service class
// only authorises, converts and calls). Conversions that can fail validate what the domain
// cannot see in its own types (dates) and name the request field.
#ifndef RESERVE_SERVICES_DECISION_CONVERT_H_
#define RESERVE_SERVICES_DECISION_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "reserve/v1/decision.pb.h"
#include "services/common/auth.h"
#include "services/common/domain_glue.h"
#include "services/decision/auctions.h"
#include "services/decision/decision.h"
#include "services/inventory/lot_proto.h"

namespace reserve::decision_glue {

namespace dec = decision;

// Dates, contexts, commit info and page sizes: services/common/domain_glue.h.

dec::MarketSeries FromProto(v1::MarketSeries s);
dec::ProposalStatus FromProto(v1::ProposalStatus s);
dec::OrderStatus FromProto(v1::OrderStatus s);

absl::StatusOr<dec::MarketPoint> FromProto(const v1::MarketPoint& p, const std::string& field);
void ToProto(const dec::MarketPoint& p, v1::MarketPoint* out);
dec::Target FromProto(const v1::Target& t);
void ToProto(const dec::TargetView& v, v1::TargetResponse* out);
void ToProto(const dec::CeilingView& v, v1::CeilingStatus* out);
void ToProto(const dec::BudgetView& v, v1::BudgetStatus* out);

absl::StatusOr<dec::RecommendationQuery> FromProto(const v1::GetRecommendationsRequest& r,
                                                   absl::string_view prefix);
void ToProto(const dec::Recommendations& r, v1::GetRecommendationsResponse* out);
absl::StatusOr<dec::OptimiseQuery> FromProto(const v1::OptimiseRequest& r,
                                             absl::string_view prefix);
void ToProto(const dec::Optimisation& o, v1::OptimiseResponse* out);
absl::StatusOr<dec::BacktestQuery> FromProto(const v1::BacktestRequest& r);
void ToProto(const dec::engine::BacktestResult& r, v1::BacktestResponse* out);

absl::StatusOr<dec::ProposalRequest> FromProto(const v1::CreateProposalRequest& r);
void ToProto(const dec::Proposal& p, v1::Proposal* out);
void ToProto(const dec::OrderView& v, v1::Order* out);

absl::StatusOr<dec::Auction> FromProto(const v1::Auction& a);
void ToProto(const dec::Auction& a, v1::Auction* out);
absl::StatusOr<dec::Bidder> FromProto(const v1::Bidder& b);
void ToProto(const dec::Bidder& b, v1::Bidder* out);
void ToProto(const dec::Bid& b, v1::Bid* out);
void ToProto(const dec::Settlement& s, const std::vector<std::string>& delivered,
             v1::Settlement* out);
using inventory_glue::ToProto;  // the lot message (services/inventory/lot_proto.h)
void ToProto(const dec::AuctionResult& r,
             const std::map<std::string, std::vector<std::string>>& delivered,
             v1::AuctionResult* out);

}  // namespace reserve::decision_glue

#endif  // RESERVE_SERVICES_DECISION_CONVERT_H_
