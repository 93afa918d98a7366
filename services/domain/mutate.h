// The idempotent mutation: plan a ledger transaction from a read of current state, commit it
// with compare-and-set, and re-plan on conflicts; a retry of a request returns its first
// answer. Every service's changes go through Mutate.
//
// Receipts. The transaction of request id R carries a receipt record
// "<receipt_prefix>R" = {"fp": <fingerprint of the request>, "response": <the answer>} and is
// committed under the ledger request id "<ledger_request_prefix>R". So:
// - a retry that plans the very same transaction is answered by the ledger (replayed, no
//   extra read);
// - a retry that plans another one (the state moved since), or whose plan now fails (the
//   first attempt released the lot already), is answered by the receipt record;
// - other content under a used request id is ALREADY_EXISTS (REQUEST_ID_REUSED).
// Prefixes and fingerprints are each service's on-disk contract (see fingerprint.h).
// Thread-safe: Mutate keeps no state; concurrent mutations meet in the ledger.
#ifndef RESERVE_SERVICES_DOMAIN_MUTATE_H_
#define RESERVE_SERVICES_DOMAIN_MUTATE_H_

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "services/domain/context.h"
#include "storage/ledger.h"

namespace reserve::domain {

using json = nlohmann::json;

// Plans per mutation: the first and up to seven re-reads after conflicts.
inline constexpr int kMaxCommitAttempts = 8;

// Where one service's mutations leave their marks: an on-disk contract, so a service's values
// never change once a store holds them.
struct MutationSpec {
  absl::string_view receipt_prefix;         // e.g. "inventory-request/"
  absl::string_view ledger_request_prefix;  // e.g. "inventory/"
  size_t max_request_id_chars = 0;          // keeps both ids within ledger::kMaxIdBytes
};

// What a planner decides: the transaction (Mutate fills in its request id, kind, principal
// and business date, and adds the receipt record) and the answer to store and return.
struct Plan {
  ledger::Transaction tx;
  json response;
};
using Planner = std::function<absl::StatusOr<Plan>()>;

// The text inventory and decision fingerprint: {"date","kind","request"} as nlohmann dumps
// it (keys sorted), so the same kind, business date and content give the same text.
std::string RequestText(absl::string_view kind, absl::CivilDay date, const json& request);

// Checks `ctx` (CheckContext with the spec's limit), then plans and commits one mutation
// idempotently (see the file comment), re-planning after a conflict a fresh read can
// resolve (Retryable) up to kMaxCommitAttempts times. `fingerprint` identifies the request's
// content. The first attempt uses `fast_planner` when given: one that skips reads whose
// outcome the ledger enforces anyway (a record written at version 0, a guarded account), so
// that a rejection by the ledger sends the next attempt through `planner`, which reads and
// names the business reason.
// Errors: the context's; the planner's (unless a receipt answers); the ledger's; DATA_LOSS
// for a malformed receipt record; RESOURCE_EXHAUSTED above ledger::kMaxWrites record writes.
absl::StatusOr<Mutation<json>> Mutate(ledger::Ledger& ledger, const MutationSpec& spec,
                                      const Context& ctx, absl::string_view kind,
                                      absl::string_view fingerprint, const Planner& planner,
                                      const Planner& fast_planner = nullptr);

// Mutate without a thread waiting on the ledger: `done` runs exactly once with what Mutate
// would return, on the caller's thread when no commit is needed (a planner's error, say) and
// otherwise on the ledger's (Ledger::CommitAsync), where a retry's plan then also runs. So
// `planner` and `fast_planner` must own what they use; `ledger` and `spec` must outlive the
// mutation. Mutate is this and a wait.
using MutationDone = std::function<void(absl::StatusOr<Mutation<json>>)>;
void MutateAsync(ledger::Ledger& ledger, const MutationSpec& spec, Context ctx,
                 absl::string_view kind, std::string fingerprint, Planner planner,
                 Planner fast_planner, MutationDone done);

// Calls `start` with a callback and waits until `start` (or whatever it handed the callback
// to) calls it: the synchronous form of an asynchronous operation.
template <typename T>
T Await(const std::function<void(std::function<void(T)>)>& start) {
  std::optional<T> out;
  absl::Notification answered;
  start([&](T value) {
    out.emplace(std::move(value));
    answered.Notify();
  });
  answered.WaitForNotification();
  return *std::move(out);
}

// Conflicts a fresh read and a new plan can resolve: a version conflict (ABORTED), and a
// guarded balance or an account that a concurrent commit changed since the plan's reads
// (FAILED_PRECONDITION INSUFFICIENT_BALANCE, ACCOUNT_EXISTS).
bool Retryable(const absl::Status& status);

// Decodes a mutation's JSON answer with `decode`; DATA_LOSS when it throws.
template <typename T>
absl::StatusOr<Mutation<T>> Convert(absl::StatusOr<Mutation<json>> m,
                                    const std::function<absl::StatusOr<T>(const json&)>& decode) {
  if (!m.ok()) return m.status();
  try {
    absl::StatusOr<T> value = decode(m->value);
    if (!value.ok()) return value.status();
    return Mutation<T>{*std::move(value), m->seq, m->replayed};
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed stored response: ", e.what()));
  }
}

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_MUTATE_H_
