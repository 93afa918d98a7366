// Who asks for a change, and what a change returns: the two types every service's domain
// API shares (inventory, decision, commercial and financing all take a Context and answer a
// Mutation<T>).
#ifndef RESERVE_SERVICES_DOMAIN_CONTEXT_H_
#define RESERVE_SERVICES_DOMAIN_CONTEXT_H_

#include <string>

#include "absl/time/civil_time.h"
#include "storage/ledger.h"

namespace reserve::domain {

// Who asks, under which request id, effective on which business date. Checked by
// CheckContext (checks.h) before any mutation plans.
struct Context {
  std::string request_id;  // the caller's idempotency key
  std::string principal;   // the acting principal, e.g. "admin:alice"
  absl::CivilDay business_date;
};

// What a mutation returns: its result, the ledger transaction that committed it, and whether
// this answer is the stored one of an earlier identical request.
template <typename T>
struct Mutation {
  T value;
  ledger::Seq seq = 0;    // the committing transaction
  bool replayed = false;  // true when a retry returned an earlier result
};

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_CONTEXT_H_
