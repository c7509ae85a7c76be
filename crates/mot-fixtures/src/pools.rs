//! Word lists for generated vehicles and defects. All entries are written for this crate.

/// Make and models, upper case as in the files.
pub(crate) const MAKES: &[(&str, &[&str])] = &[
    (
        "FORD",
        &[
            "FIESTA", "FOCUS", "KUGA", "TRANSIT", "MONDEO", "PUMA", "C-MAX",
        ],
    ),
    (
        "VAUXHALL",
        &["CORSA", "ASTRA", "INSIGNIA", "MOKKA", "ZAFIRA", "VIVARO"],
    ),
    (
        "VOLKSWAGEN",
        &["GOLF", "POLO", "PASSAT", "TIGUAN", "ID.3", "TRANSPORTER"],
    ),
    (
        "BMW",
        &["1 SERIES", "3 SERIES", "5 SERIES", "X1", "X5", "I3"],
    ),
    (
        "MERCEDES-BENZ",
        &["A CLASS", "C CLASS", "E CLASS", "SPRINTER", "GLC"],
    ),
    ("AUDI", &["A1", "A3", "A4", "Q3", "Q5", "E-TRON"]),
    (
        "TOYOTA",
        &["YARIS", "AYGO", "COROLLA", "PRIUS", "RAV4", "C-HR"],
    ),
    ("NISSAN", &["MICRA", "QASHQAI", "JUKE", "LEAF", "NOTE"]),
    ("RENAULT", &["CLIO", "MEGANE", "CAPTUR", "ZOE", "KANGOO"]),
    ("PEUGEOT", &["208", "308", "2008", "3008", "PARTNER"]),
    ("CITROEN", &["C1", "C3", "C4", "BERLINGO", "DISPATCH"]),
    ("HONDA", &["JAZZ", "CIVIC", "CR-V", "HR-V"]),
    ("KIA", &["PICANTO", "RIO", "CEED", "SPORTAGE", "NIRO"]),
    ("HYUNDAI", &["I10", "I20", "I30", "TUCSON", "KONA"]),
    ("MINI", &["MINI", "COUNTRYMAN", "CLUBMAN"]),
    ("SKODA", &["FABIA", "OCTAVIA", "SUPERB", "KODIAQ"]),
    ("TESLA", &["MODEL 3", "MODEL Y", "MODEL S"]),
    (
        "LAND ROVER",
        &["DEFENDER", "DISCOVERY", "RANGE ROVER EVOQUE"],
    ),
    ("HILLMAN", &["AVENGER", "IMP", "MINX"]),
    ("MG", &["MG3", "ZS", "MGB"]),
];

/// Colours as the files spell them. `Not Stated` appears mostly as a secondary colour.
pub(crate) const COLOURS: &[&str] = &[
    "Black",
    "Silver",
    "Grey",
    "White",
    "Blue",
    "Red",
    "Green",
    "Yellow",
    "Orange",
    "Beige",
    "Bronze",
    "Brown",
    "Gold",
    "Maroon",
    "Purple",
    "Turquoise",
    "Cream",
    "Pink",
    "Multi-colour",
    "Not Stated",
];

/// Fuel types with weights: an open set, including values a fixed enum would miss.
pub(crate) const FUELS: &[(&str, u32)] = &[
    ("Petrol", 500),
    ("Diesel", 340),
    ("Hybrid Electric (Clean)", 60),
    ("Electric", 45),
    ("Gas Bi-Fuel", 10),
    ("Electric Diesel", 8),
    ("Other", 5),
    ("LPG", 4),
    ("Gas Diesel", 3),
    ("Fuel Cells", 1),
    ("Steam", 1),
];

/// Engine sizes in cc.
pub(crate) const ENGINE_SIZES: &[u32] = &[
    998, 1199, 1242, 1368, 1461, 1498, 1560, 1598, 1796, 1968, 1995, 2179, 2993, 4395,
];

/// Places named in the `location` of commercial-vehicle (CVS) tests.
pub(crate) const CVS_LOCATIONS: &[&str] = &[
    "ABERDEEN",
    "AVONMOUTH",
    "BEVERLEY",
    "CARMARTHEN",
    "EDINBURGH (LIVINGSTON)",
    "LEEDS",
    "NEWCASTLE",
    "SOUTHAMPTON",
];

/// Defect texts for advisory and minor items, with the inspection manual reference in
/// brackets as the files show it.
pub(crate) const ADVISORY_TEXTS: &[&str] = &[
    "Nearside Front Tyre worn close to legal limit/worn on edge (5.2.3 (e))",
    "Offside Rear Tyre slightly damaged/cracking or perishing (5.2.3 (d) (ii))",
    "Front Brake disc worn, pitted or scored, but not seriously weakened (1.1.14 (a) (ii))",
    "Rear Brake pad(s) wearing thin (1.1.13 (a) (ii))",
    "Oil leak, but not excessive (8.4.1 (a) (i))",
    "Exhaust has a minor leak of exhaust gases (6.1.2 (a))",
    "Windscreen has damage to an area less than a 10mm circle within zone 'A' (3.2 (a) (i))",
    "Nearside Front Suspension arm pin or bush worn but not resulting in excessive movement",
    "Corroded brake pipes (1.1.11 (c))",
    "Parking brake efficiency only just met (1.4.2 (a))",
    "Underside has minor corrosion to various areas",
    "Offside Front Headlamp lens slightly damaged (4.1.1 (b) (i))",
];

/// Defect texts for failure items (MAJOR, FAIL, PRS and DANGEROUS).
pub(crate) const FAILURE_TEXTS: &[&str] = &[
    "Nearside Front Tyre tread depth below requirements of 1.6mm (5.2.3 (e))",
    "Offside Rear Brake pad(s) less than 1.5 mm thick (1.1.13 (a) (i))",
    "Nearside Headlamp aim too low (4.1.2 (a))",
    "Offside Front Position lamp(s) not working (4.2.1 (a) (ii))",
    "Exhaust system insecure (6.1.2 (a))",
    "Windscreen wiper does not clear the windscreen effectively (3.4 (b))",
    "Registration plate letters and digits incorrectly formed (0.1 (b))",
    "Front Anti-roll bar linkage ball joint excessively worn (5.3.4 (a) (i))",
    "Service brake efficiency below requirements (1.2.1 (a))",
    "Steering rack gaiter split (2.1.3 (g))",
    "Offside Front Coil spring fractured or seriously weakened (5.3.2 (b) (i))",
    "Emissions exceed the limit for this vehicle (8.2.2.1 (d) (i))",
];

/// Free text entered by testers: quotes, backslashes, control characters, non-ASCII letters,
/// the pound sign and characters outside the Basic Multilingual Plane.
pub(crate) const AWKWARD_TEXTS: &[&str] = &[
    "Tyre sidewall marked \"run flat\" but no warning lamp fitted",
    "o\\s rear lamp lens cracked",
    "Rear wiper arm missing\tblade holder loose",
    "Tester note:\nrecheck brake balance at next service",
    "Corrosion on sill\r\nrepair advised",
    "Headlamp pattern set for right-hand traffic (phares réglés à droite)",
    "Repair quoted at £120 for both rear discs",
    "Dashboard warning lamp shows 🚗 symbol with exclamation mark",
    "Aftermarket wheel trims 🛞 loose on both sides",
    "Vehicle from Köln: speedometer reads km/h only",
    "Bell character \u{7} pasted from handheld scanner",
];
