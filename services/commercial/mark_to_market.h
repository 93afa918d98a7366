// The mark-to-market follower: one background thread that watches the journal
// (Ledger::Watch) from the financing service's durable cursor and hands every entry that
// wrote price marks to Financing::MarkToMarket, in journal order.
//
// Why a follower and not a hook in inventory's AddPriceMarks: price marks may come from any
// writer (inventory today, a market-data feed later, another process in split mode), and a
// crash between the price commit and the mark to market must neither lose the margin calls
// nor raise them twice. The follower's progress is the cursor record that the last
// mark-to-market transaction of each price entry writes by compare-and-set, so after a crash
// or a restart it resumes at the first entry not yet marked; running two followers (two
// processes in split mode) is safe: the cursor CAS lets one of them commit each entry.
// That cursor moves only with price marks, so a restart after many entries without any
// would walk them all again: far behind the head, the follower instead reads only the
// entries that wrote price marks (Financing::PriceMarkEntries), then follows the journal.
//
// Thread safety: Start/Stop from one owner thread; ProcessedSeq from any thread.
#ifndef RESERVE_SERVICES_COMMERCIAL_MARK_TO_MARKET_H_
#define RESERVE_SERVICES_COMMERCIAL_MARK_TO_MARKET_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/time/time.h"
#include "services/commercial/financing.h"
#include "storage/ledger.h"

namespace reserve::commercial {

struct FollowerOptions {
  // After a failed mark to market (ledger unavailable, conflicts beyond the retry budget)
  // the follower waits this long and resumes from its cursor. Never skips an entry.
  absl::Duration retry_backoff = absl::Milliseconds(200);
  // Further behind the head than this many entries (a restart after a long stretch without
  // price marks), the follower reads only the entries that wrote price marks, found through
  // the price records' histories, instead of walking the journal to the head.
  uint64_t walk_limit = 4096;
};

class MarkToMarketFollower {
 public:
  // Starts the thread. `ledger` and `financing` must outlive the follower.
  static std::unique_ptr<MarkToMarketFollower> Start(ledger::Ledger& ledger, Financing& financing,
                                                     FollowerOptions options = {});
  MarkToMarketFollower(const MarkToMarketFollower&) = delete;
  MarkToMarketFollower& operator=(const MarkToMarketFollower&) = delete;
  // Stops and joins (as Stop).
  ~MarkToMarketFollower();

  // Asks the thread to stop and waits for it. Idempotent. Call before the ledger closes.
  void Stop();

  // The last journal entry the follower has looked at (and marked, if it held prices).
  ledger::Seq ProcessedSeq() const { return processed_.load(std::memory_order_acquire); }
  // Waits until ProcessedSeq() >= seq; false on timeout.
  bool WaitProcessed(ledger::Seq seq, absl::Duration timeout) const;

 private:
  MarkToMarketFollower(ledger::Ledger& ledger, Financing& financing, FollowerOptions options)
      : ledger_(ledger), financing_(financing), options_(options) {}
  void Run();
  // The long catch-up (see FollowerOptions::walk_limit); moves `looked_at` on.
  absl::Status CatchUp(ledger::Seq& looked_at);

  ledger::Ledger& ledger_;
  Financing& financing_;
  const FollowerOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<ledger::Seq> processed_{0};
  std::thread thread_;
};

}  // namespace reserve::commercial

#endif  // RESERVE_SERVICES_COMMERCIAL_MARK_TO_MARKET_H_
