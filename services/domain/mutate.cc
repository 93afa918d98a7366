#include "services/domain/mutate.h"

#include <optional>

#include "services/domain/checks.h"
#include "services/domain/dates.h"
#include "services/domain/reads.h"
#include "storage/errors.h"

namespace reserve::domain {
namespace {

// What the receipt record of `ctx.request_id` says: the stored answer when this request (same
// fingerprint) committed before, REQUEST_ID_REUSED when another one did, nothing when no
// request committed under this id.
absl::StatusOr<std::optional<Mutation<json>>> StoredOutcome(ledger::Ledger& ledger,
                                                            const Context& ctx,
                                                            const std::string& receipt_key,
                                                            absl::string_view fingerprint) {
  absl::StatusOr<ledger::Record> seen = ReadRecord(ledger, receipt_key);
  if (!seen.ok()) return seen.status();
  if (seen->version == 0) return std::optional<Mutation<json>>();
  json stored = json::parse(seen->value, nullptr, /*allow_exceptions=*/false);
  if (stored.is_discarded() || !stored.contains("fp") || !stored.contains("response")) {
    return absl::DataLossError(absl::StrCat("malformed receipt record ", receipt_key));
  }
  if (stored["fp"] != std::string(fingerprint)) {
    return Rejection(
        absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
        absl::StrCat("request id ", ctx.request_id, " was used for a different request"));
  }
  return std::optional<Mutation<json>>(
      Mutation<json>{std::move(stored["response"]), seen->version, true});
}

// The receipt's answer when there is one, else `fallback` (the attempt's own error).
absl::StatusOr<Mutation<json>> AnsweredByReceipt(ledger::Ledger& ledger, const Context& ctx,
                                                 const std::string& receipt_key,
                                                 absl::string_view fingerprint,
                                                 const absl::Status& fallback) {
  absl::StatusOr<std::optional<Mutation<json>>> stored =
      StoredOutcome(ledger, ctx, receipt_key, fingerprint);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return **std::move(stored);
  return fallback;
}

}  // namespace

std::string RequestText(absl::string_view kind, absl::CivilDay date, const json& request) {
  json text = {{"kind", kind}, {"date", FormatDate(date)}, {"request", request}};
  return text.dump();
}

bool Retryable(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kAborted) return true;
  std::optional<std::string> r = ReasonOf(s);
  return s.code() == absl::StatusCode::kFailedPrecondition && r.has_value() &&
         (*r == reason::kInsufficientBalance || *r == reason::kAccountExists);
}

absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const MutationSpec& spec,
                                      const Context& ctx, absl::string_view kind,
                                      absl::string_view fingerprint, const Planner& planner,
                                      const Planner& fast_planner) {
  if (absl::Status s = CheckContext(ctx, spec.max_request_id_chars); !s.ok()) return s;
  const std::string receipt_key = absl::StrCat(spec.receipt_prefix, ctx.request_id);
  absl::Status last = absl::AbortedError("no attempt made");
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    absl::StatusOr<Plan> plan = attempt == 0 && fast_planner ? fast_planner() : planner();
    if (!plan.ok()) {
      return AnsweredByReceipt(ledger, ctx, receipt_key, fingerprint, plan.status());
    }
    ledger::Transaction& tx = plan->tx;
    tx.request_id = absl::StrCat(spec.ledger_request_prefix, ctx.request_id);
    tx.kind = std::string(kind);
    tx.principal = ctx.principal;
    tx.business_date = ctx.business_date;
    json receipt = {{"fp", fingerprint}, {"response", plan->response}};
    tx.writes.push_back(ledger::RecordWrite{receipt_key, 0, receipt.dump(), false});
    if (tx.writes.size() > ledger::kMaxWrites) {
      return absl::ResourceExhaustedError("too many record writes in one request");
    }
    absl::StatusOr<ledger::Receipt> committed = ledger.Commit(tx);
    if (committed.ok()) {
      // Replayed: the very same transaction, receipt record and response included.
      return Mutation<json>{std::move(plan->response), committed->seq, committed->replayed};
    }
    if (committed.status().code() == absl::StatusCode::kAlreadyExists) {
      return AnsweredByReceipt(ledger, ctx, receipt_key, fingerprint, committed.status());
    }
    if (!Retryable(committed.status())) return committed.status();
    last = committed.status();
  }
  return last;
}

}  // namespace reserve::domain
