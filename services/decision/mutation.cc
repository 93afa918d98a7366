#include "services/decision/mutation.h"

#include "services/domain/checks.h"
#include "services/domain/fingerprint.h"

namespace reserve::decision {
namespace {

// Decision's receipts and ledger request ids (an on-disk contract: never change them).
constexpr domain::MutationSpec kMutations{"decision-request/", "decision/", kMaxRequestIdChars};

}  // namespace

absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const Context& ctx,
                                      absl::string_view kind, const json& request,
                                      const domain::Planner& planner) {
  return domain::Mutate(ledger, kMutations, ctx, kind,
                        domain::Sha256Hex(domain::RequestText(kind, ctx.business_date, request)),
                        planner);
}

absl::Status CheckContext(const Context& ctx) {
  return domain::CheckContext(ctx, kMaxRequestIdChars);
}

}  // namespace reserve::decision
