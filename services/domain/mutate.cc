#include "services/domain/mutate.h"

#include <memory>
#include <optional>
#include <utility>

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

namespace {

// One mutation's attempts. Each commit's answer either ends it (`done`) or plans the next.
class Attempts : public std::enable_shared_from_this<Attempts> {
 public:
  Attempts(ledger::Ledger& ledger, const MutationSpec& spec, Context ctx, absl::string_view kind,
           std::string fingerprint, Planner planner, Planner fast_planner, MutationDone done)
      : ledger_(ledger),
        spec_(spec),
        ctx_(std::move(ctx)),
        kind_(kind),
        fingerprint_(std::move(fingerprint)),
        planner_(std::move(planner)),
        fast_planner_(std::move(fast_planner)),
        done_(std::move(done)),
        receipt_key_(absl::StrCat(spec.receipt_prefix, ctx_.request_id)) {}

  void Next() {
    if (attempt_ == kMaxCommitAttempts) return done_(last_);
    absl::StatusOr<Plan> plan = attempt_ == 0 && fast_planner_ ? fast_planner_() : planner_();
    ++attempt_;
    if (!plan.ok()) return done_(Answered(plan.status()));
    ledger::Transaction& tx = plan->tx;
    tx.request_id = absl::StrCat(spec_.ledger_request_prefix, ctx_.request_id);
    tx.kind = kind_;
    tx.principal = ctx_.principal;
    tx.business_date = ctx_.business_date;
    json receipt = {{"fp", fingerprint_}, {"response", plan->response}};
    tx.writes.push_back(ledger::RecordWrite{receipt_key_, 0, receipt.dump(), false});
    if (tx.writes.size() > ledger::kMaxWrites) {
      return done_(absl::ResourceExhaustedError("too many record writes in one request"));
    }
    ledger_.CommitAsync(
        std::move(tx), [self = shared_from_this(), response = std::move(plan->response)](
                           absl::StatusOr<ledger::Receipt> committed) mutable {
          self->Committed(std::move(committed), std::move(response));
        });
  }

 private:
  void Committed(absl::StatusOr<ledger::Receipt> committed, json response) {
    if (committed.ok()) {
      // Replayed: the very same transaction, receipt record and response included.
      return done_(Mutation<json>{std::move(response), committed->seq, committed->replayed});
    }
    if (committed.status().code() == absl::StatusCode::kAlreadyExists) {
      return done_(Answered(committed.status()));
    }
    if (!Retryable(committed.status())) return done_(committed.status());
    last_ = committed.status();
    Next();
  }

  absl::StatusOr<Mutation<json>> Answered(const absl::Status& fallback) {
    return AnsweredByReceipt(ledger_, ctx_, receipt_key_, fingerprint_, fallback);
  }

  ledger::Ledger& ledger_;
  const MutationSpec& spec_;
  const Context ctx_;
  const std::string kind_;
  const std::string fingerprint_;
  const Planner planner_;
  const Planner fast_planner_;
  const MutationDone done_;
  const std::string receipt_key_;
  int attempt_ = 0;
  absl::Status last_ = absl::AbortedError("no attempt made");
};

}  // namespace

void MutateAsync(ledger::Ledger& ledger, const MutationSpec& spec, Context ctx,
                 absl::string_view kind, std::string fingerprint, Planner planner,
                 Planner fast_planner, MutationDone done) {
  if (absl::Status s = CheckContext(ctx, spec.max_request_id_chars); !s.ok()) return done(s);
  std::make_shared<Attempts>(ledger, spec, std::move(ctx), kind, std::move(fingerprint),
                             std::move(planner), std::move(fast_planner), std::move(done))
      ->Next();
}

absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const MutationSpec& spec,
                                      const Context& ctx, absl::string_view kind,
                                      absl::string_view fingerprint, const Planner& planner,
                                      const Planner& fast_planner) {
  return Await<absl::StatusOr<Mutation<json>>>([&](MutationDone done) {
    MutateAsync(ledger, spec, ctx, kind, std::string(fingerprint), planner, fast_planner,
                std::move(done));
  });
}

}  // namespace reserve::domain
