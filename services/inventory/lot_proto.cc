#include "services/inventory/lot_proto.h"

namespace reserve::inventory_glue {

void ToProto(const inventory::Lot& l, v1::Lot* out) {
  out->set_lot_id(l.id);
  out->set_metal(l.metal);
  out->set_grade(l.grade);
  out->set_standard(l.standard);
  out->set_brand(l.brand);
  out->set_form(l.form);
  out->set_pieces(l.pieces);
  out->set_net_mass_g(l.net_mass_g);
  out->set_gross_mass_g(l.gross_mass_g);
  out->set_depot_id(l.depot);
  out->set_location(l.location);
  out->set_year_produced(l.year_produced);
  out->set_year_stored(l.year_stored);
  out->set_cost_minor(l.cost_minor);
  out->set_currency(l.currency);
  out->set_reserve_class(static_cast<v1::ReserveClass>(l.reserve_class));
  out->set_owner(l.owner);
  out->set_status(static_cast<v1::LotStatus>(l.status));
  out->set_transit_to_depot_id(l.transit_to);
  for (const inventory::Encumbrance& e : l.encumbrances) {
    v1::Encumbrance* pe = out->add_encumbrances();
    pe->set_kind(e.kind);
    pe->set_holder(e.holder);
    pe->set_reference(e.reference);
  }
  out->set_order_id(l.order_id);
  out->set_released_to(l.released_to);
  out->set_release_reference(l.release_reference);
}

}  // namespace reserve::inventory_glue
