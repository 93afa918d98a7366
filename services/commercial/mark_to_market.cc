#include "services/commercial/mark_to_market.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "services/commercial/common.h"

namespace reserve::commercial {

std::unique_ptr<MarkToMarketFollower> MarkToMarketFollower::Start(ledger::Ledger& ledger,
                                                                  Financing& financing,
                                                                  FollowerOptions options) {
  auto follower =
      std::unique_ptr<MarkToMarketFollower>(new MarkToMarketFollower(ledger, financing, options));
  follower->thread_ = std::thread([raw = follower.get()] { raw->Run(); });
  return follower;
}

MarkToMarketFollower::~MarkToMarketFollower() { Stop(); }

void MarkToMarketFollower::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

bool MarkToMarketFollower::WaitProcessed(ledger::Seq seq, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (ProcessedSeq() < seq) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

void MarkToMarketFollower::Run() {
  // Every entry up to `looked_at` was handed to MarkToMarket successfully (or held no
  // prices), so after a failure the follower resumes right after it; at start it resumes
  // after the durable cursor.
  ledger::Seq looked_at = 0;
  bool have_start = false;
  auto backoff = [this] {
    const absl::Time until = absl::Now() + options_.retry_backoff;
    while (!stop_.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
  };
  while (!stop_.load()) {
    if (!have_start) {
      absl::StatusOr<ledger::Seq> cursor = financing_.MarkToMarketCursor();
      if (!cursor.ok()) {
        backoff();
        continue;
      }
      looked_at = *cursor;
      processed_.store(std::max(processed_.load(), looked_at), std::memory_order_release);
      have_start = true;
    }
    if (absl::Status s = CatchUp(looked_at); !s.ok()) {
      backoff();
      continue;
    }
    if (stop_.load()) break;
    bool failed = false;
    absl::Status watched = ledger_.Watch(
        looked_at + 1,
        [&](const ledger::JournalEntry& entry) {
          if (absl::Status s = financing_.MarkToMarket(entry); !s.ok()) {
            failed = true;
            return false;
          }
          looked_at = entry.seq;
          processed_.store(entry.seq, std::memory_order_release);
          return !stop_.load();
        },
        [this] { return stop_.load(); });
    if (failed || !watched.ok()) backoff();
  }
}

absl::Status MarkToMarketFollower::CatchUp(ledger::Seq& looked_at) {
  absl::StatusOr<ledger::Head> head = ledger_.GetHead();
  if (!head.ok()) return head.status();
  if (head->seq <= looked_at || head->seq - looked_at <= options_.walk_limit) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<ledger::Seq>> seqs =
      financing_.PriceMarkEntries(looked_at + 1, head->seq);
  if (!seqs.ok()) return seqs.status();
  for (ledger::Seq seq : *seqs) {
    if (stop_.load()) return absl::OkStatus();
    absl::StatusOr<ledger::JournalEntry> entry = internal::ReadEntry(ledger_, seq);
    if (!entry.ok()) return entry.status();
    if (absl::Status s = financing_.MarkToMarket(*entry); !s.ok()) return s;
    looked_at = seq;
    processed_.store(seq, std::memory_order_release);
  }
  // Nothing between the last of them and the head wrote price marks.
  looked_at = head->seq;
  processed_.store(head->seq, std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace reserve::commercial
