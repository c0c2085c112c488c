"""Who owns a lead after a move. `spec` validates and describes a rule's routing; `engine` is the pure choice
(weighted round-robin over the people available, with every skip explained); `availability` reads people's
state (away, paused, at cap, in working hours); `services` routes a lead inside the one door; `absences`
keeps out-of-office periods and hands on what waits for an absent person."""
