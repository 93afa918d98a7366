#include "services/decision/orders.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/decision/keys.h"
#include "services/domain/dates.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision {
namespace {

namespace why = decision_reason;

absl::StatusOr<Loaded<Order>> LoadOrder(ledger::Ledger& ledger, absl::string_view id) {
  return Load<Order>(ledger, keys::OrderKey(id), why::kUnknownOrder, absl::StrCat("no order ", id),
                     &DecodeOrder);
}

std::string SpentAccount(const Order& o) {
  return o.funding == Funding::kPriceBand
             ? keys::BandSpentAccount(o.currency, o.metal)
             : keys::BudgetSpentAccount(o.currency, o.valid_from.year());
}

// The state checks every use of an order shares.
absl::Status CheckUsable(const Order& o, Direction direction, absl::string_view metal,
                         absl::CivilDay date) {
  if (o.status != OrderStatus::kOpen) {
    return Precondition(why::kOrderClosed, absl::StrCat("order ", o.id, " is closed"));
  }
  if (o.direction != direction) {
    return Precondition(why::kOrderDirection,
                        absl::StrCat("order ", o.id, " authorises ", DirectionName(o.direction),
                                     "s, not ", DirectionName(direction), "s"));
  }
  if (o.metal != metal) {
    return Precondition(why::kOrderMetal,
                        absl::StrCat("order ", o.id, " is for ", o.metal, ", not ", metal));
  }
  if (date < o.valid_from || date > o.valid_to) {
    return Precondition(
        why::kOrderPeriod,
        absl::StrCat("order ", o.id, " is valid from ", domain::FormatDate(o.valid_from), " to ",
                     domain::FormatDate(o.valid_to), ", not on ", domain::FormatDate(date)));
  }
  return absl::OkStatus();
}

// Checks that `need` fits in the balance of `account`; `reason` otherwise.
absl::Status CheckRoom(int64_t available, int64_t need, absl::string_view reason,
                       absl::string_view what) {
  if (need > available) {
    return Precondition(reason,
                        absl::StrCat(what, " has ", available, " left; the request needs ", need));
  }
  return absl::OkStatus();
}

// What executing order `id` needs to know, read in two batched reads: the order with its
// remaining quantity and money, and the ceiling of (metal, year, direction) the use names
// (if the use's metal or direction differ from the order's, CheckUsable refuses it anyway).
struct UseState {
  OrderView view;
  bool ceiling_set = false;
  int64_t ceiling_left_g = 0;
};

absl::StatusOr<UseState> ReadUseState(ledger::Ledger& ledger, absl::string_view id,
                                      absl::string_view metal, int64_t year, Direction direction) {
  absl::StatusOr<ledger::RecordSet> records =
      ReadRecords(ledger, {keys::OrderKey(id), keys::CeilingKey(metal, year)});
  if (!records.ok()) return records.status();
  if (records->records[0].version == 0) {
    return NotFound(why::kUnknownOrder, absl::StrCat("no order ", id));
  }
  absl::StatusOr<Order> order = DecodeOrder(records->records[0].value);
  if (!order.ok()) return order.status();
  std::string qty = keys::OrderQuantityAccount(id);
  std::string money = keys::OrderMoneyAccount(id);
  std::string ceiling = keys::CeilingAccount(metal, year, direction);
  absl::StatusOr<std::map<std::string, int64_t>> b = ReadBalances(ledger, {qty, money, ceiling});
  if (!b.ok()) return b.status();
  UseState out;
  out.view = OrderView{*std::move(order), records->records[0].version, (*b)[qty], (*b)[money]};
  out.ceiling_set = records->records[1].version != 0;
  out.ceiling_left_g = (*b)[ceiling];
  return out;
}

absl::Status CheckCeilingRoom(const UseState& state, absl::string_view metal, int64_t year,
                              Direction direction, int64_t mass_g) {
  if (!state.ceiling_set) {
    return Precondition(why::kCeilingNotSet,
                        absl::StrCat("no annual ceiling is set for ", metal, " in ", year));
  }
  return CheckRoom(
      state.ceiling_left_g, mass_g, why::kCeilingExceeded,
      absl::StrCat("the ", year, " ", direction == Direction::kAcquire ? "acquisition" : "disposal",
                   " ceiling of ", metal, " (grams)"));
}

}  // namespace

absl::StatusOr<std::optional<Loaded<AnnualCeiling>>> LoadCeiling(ledger::Ledger& ledger,
                                                                 absl::string_view metal,
                                                                 int64_t year) {
  absl::StatusOr<ledger::Record> r = ReadRecord(ledger, keys::CeilingKey(metal, year));
  if (!r.ok()) return r.status();
  if (r->version == 0) return std::optional<Loaded<AnnualCeiling>>();
  absl::StatusOr<AnnualCeiling> c = DecodeAnnualCeiling(r->value);
  if (!c.ok()) return c.status();
  return std::optional<Loaded<AnnualCeiling>>(Loaded<AnnualCeiling>{*std::move(c), r->version});
}

absl::StatusOr<OrderView> OrderBook::Get(absl::string_view id) {
  absl::StatusOr<Loaded<Order>> o = LoadOrder(ledger_, id);
  if (!o.ok()) return o.status();
  std::string qty = keys::OrderQuantityAccount(id);
  std::string money = keys::OrderMoneyAccount(id);
  absl::StatusOr<std::map<std::string, int64_t>> b = ReadBalances(ledger_, {qty, money});
  if (!b.ok()) return b.status();
  return OrderView{o->value, o->version, (*b)[qty], (*b)[money]};
}

absl::Status OrderBook::AddToTransaction(absl::Span<const inventory::OrderUse> uses,
                                         ledger::Transaction& tx) {
  std::map<std::string, std::vector<const inventory::OrderUse*>> by_order;
  for (const inventory::OrderUse& u : uses) by_order[u.order_id].push_back(&u);
  TxBuilder b;
  for (const auto& [id, list] : by_order) {
    const inventory::OrderUse& first = *list.front();
    absl::CivilDay date = first.business_date;
    absl::StatusOr<UseState> state =
        ReadUseState(ledger_, id, first.metal, date.year(),
                     first.acquisition ? Direction::kAcquire : Direction::kRelease);
    if (!state.ok()) return state.status();
    const OrderView* view = &state->view;
    const Order& o = view->order;
    int64_t mass_g = 0;
    int64_t cost_minor = 0;
    for (const inventory::OrderUse* u : list) {
      Direction d = u->acquisition ? Direction::kAcquire : Direction::kRelease;
      if (absl::Status s = CheckUsable(o, d, u->metal, u->business_date); !s.ok()) return s;
      if (u->acquisition && u->currency != o.currency) {
        return Precondition(why::kOrderCurrency, absl::StrCat("order ", id, " pays in ", o.currency,
                                                              ", the lots cost ", u->currency));
      }
      std::optional<int64_t> m = CheckedAdd(mass_g, u->mass_g);
      std::optional<int64_t> c = CheckedAdd(cost_minor, u->cost_minor);
      if (!m.has_value() || !c.has_value()) {
        return Precondition(reason::kOverflow, "order use overflows 64 bits");
      }
      mass_g = *m;
      cost_minor = *c;
    }
    if (absl::Status s = CheckRoom(view->remaining_quantity_g, mass_g, why::kOrderQuantity,
                                   absl::StrCat("order ", id, " (grams)"));
        !s.ok()) {
      return s;
    }
    if (o.direction == Direction::kAcquire) {
      // Average price within the limit: cost * 10^6 <= mass * limit, exactly in 128 bits.
      if (static_cast<Int128>(cost_minor) * kGramsPerTonne >
          static_cast<Int128>(mass_g) * o.price_limit_minor_per_t) {
        return Precondition(
            why::kOrderPriceLimit,
            absl::StrCat("the lots cost ", cost_minor, " for ", mass_g, " g, above order ", id,
                         "'s limit of ", o.price_limit_minor_per_t, " per tonne"));
      }
      if (absl::Status s = CheckRoom(view->remaining_amount_minor, cost_minor, why::kOrderMoney,
                                     absl::StrCat("order ", id, " (", o.currency, " minor)"));
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = CheckCeilingRoom(*state, o.metal, date.year(), o.direction, mass_g);
        !s.ok()) {
      return s;
    }
    std::string unit = keys::MassUnit(o.metal);
    b.Move(unit, keys::OrderQuantityAccount(id), true, keys::ExecutedAccount(o.metal), false,
           mass_g);
    b.Move(unit, keys::CeilingAccount(o.metal, date.year(), o.direction), true,
           keys::CeilingUsedAccount(o.metal, date.year(), o.direction), false, mass_g);
    if (o.direction == Direction::kAcquire) {
      b.Move(o.currency, keys::OrderMoneyAccount(id), true, SpentAccount(o), false, cost_minor);
    }
    tx.checks.push_back(ledger::RecordCheck{keys::OrderKey(id), view->version});
  }
  return b.Finish(tx);
}

absl::StatusOr<uint64_t> OrderBook::PlanReleaseUse(const std::string& order_id, absl::CivilDay date,
                                                   int64_t mass_g, TxBuilder& b) {
  absl::StatusOr<Loaded<Order>> order = LoadOrder(ledger_, order_id);
  if (!order.ok()) return order.status();
  const std::string metal = order->value.metal;
  absl::StatusOr<UseState> state =
      ReadUseState(ledger_, order_id, metal, date.year(), Direction::kRelease);
  if (!state.ok()) return state.status();
  const OrderView& view = state->view;
  if (absl::Status s = CheckUsable(view.order, Direction::kRelease, metal, date); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRoom(view.remaining_quantity_g, mass_g, why::kOrderQuantity,
                                 absl::StrCat("order ", order_id, " (grams)"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckCeilingRoom(*state, metal, date.year(), Direction::kRelease, mass_g);
      !s.ok()) {
    return s;
  }
  std::string unit = keys::MassUnit(metal);
  b.Move(unit, keys::OrderQuantityAccount(order_id), true, keys::ExecutedAccount(metal), false,
         mass_g);
  b.Move(unit, keys::CeilingAccount(metal, date.year(), Direction::kRelease), true,
         keys::CeilingUsedAccount(metal, date.year(), Direction::kRelease), false, mass_g);
  return view.version;
}

absl::StatusOr<Loaded<Order>> OrderBook::PlanReleaseReturn(const std::string& order_id,
                                                           int32_t year, int64_t mass_g,
                                                           TxBuilder& b) {
  absl::StatusOr<Loaded<Order>> o = LoadOrder(ledger_, order_id);
  if (!o.ok()) return o.status();
  const Order& order = o->value;
  std::string unit = keys::MassUnit(order.metal);
  bool open = order.status == OrderStatus::kOpen;
  b.Move(unit, keys::ExecutedAccount(order.metal), false,
         open ? keys::OrderQuantityAccount(order_id) : keys::AuthorisedAccount(order.metal), open,
         mass_g);
  b.Move(unit, keys::CeilingUsedAccount(order.metal, year, Direction::kRelease), false,
         keys::CeilingAccount(order.metal, year, Direction::kRelease), true, mass_g);
  return o;
}

}  // namespace reserve::decision
