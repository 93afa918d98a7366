// reservectl: see clients/README.md.
#include "clients/reservectl/commands.h"

int main(int argc, char** argv) { return reserve::ctl::Main(argc, argv); }
