// The decision domain on the domain kit (services/domain): the kit's types under decision's
// names, and decision's mutation contract.
//
// Mutations go through the kit's Mutate (services/domain/mutate.h). The first commit of a
// request stores a receipt record "decision-request/<request_id>" with a SHA-256 fingerprint
// of the request and its response, under the ledger request id "decision/<request_id>" (an
// on-disk contract); a retry with the same content returns that response (replayed = true);
// other content under the same id is ALREADY_EXISTS (REQUEST_ID_REUSED). A version conflict,
// or a guarded balance that a concurrent writer spent, re-reads and re-decides.
//
// Plain C++ over storage/ledger.h; thread-safe (no state).
#ifndef RESERVE_SERVICES_DECISION_MUTATION_H_
#define RESERVE_SERVICES_DECISION_MUTATION_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "services/domain/checks.h"
#include "services/domain/context.h"
#include "services/domain/mutate.h"
#include "services/domain/postings.h"
#include "services/domain/reads.h"
#include "storage/ledger.h"

namespace reserve::decision {

// The kit's types and functions, as decision's own vocabulary.
using json = nlohmann::json;
using Context = domain::Context;
template <typename T>
using Mutation = domain::Mutation<T>;
template <typename T>
using Loaded = domain::Loaded<T>;
using domain::CheckCurrency;
using domain::CheckDate;
using domain::CheckId;
using domain::CheckMetalCode;
using domain::CheckText;
using domain::CheckYear;
using domain::Convert;
using domain::Load;
using domain::NotFound;
using domain::Plan;
using domain::ReadBalances;
using domain::ReadRecord;
using domain::ReadRecords;
using domain::ScanAll;
using domain::ScanPage;
using domain::TxBuilder;

// Limits of decision requests (INVALID_ARGUMENT beyond them); ids and short text follow the
// kit's (services/domain/checks.h).
inline constexpr size_t kMaxRequestIdChars = 150;  // derived ids ("auction-delivery/<id>") fit
inline constexpr size_t kMaxLongTextChars = 8192;  // rationales (explanations of many metals)

// Runs `planner` and commits its transaction with decision's receipt, idempotently (see the
// file comment). `request` is what the fingerprint covers, besides `kind` and the date.
absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                      absl::string_view kind, const json& request,
                                      const domain::Planner& planner);

// The context check with decision's request-id limit.
absl::Status CheckContext(const Context& ctx);

}  // namespace reserve::decision

#endif  // RESERVE_SERVICES_DECISION_MUTATION_H_
