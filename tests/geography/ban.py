"""A BAN-format file, written as the Base Adresse Nationale publishes it."""

BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;"
    "nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;"
    "cad_parcelles"
)


def ban_line(ban_id, numero, rep, nom_voie, code_postal, code_insee, commune, lon, lat) -> str:
    return (
        f"{ban_id};;{numero};{rep};{nom_voie};{code_postal};{code_insee};{commune};;;0;0;"
        f"{lon};{lat};entrée;;;{commune.upper()};{nom_voie.upper()};commune;commune;1;"
    )


# A few real-looking addresses of Dijon and Chenôve, in the BAN's published layout.
SAMPLE = [
    ("21231_0540_00012", 12, "", "Rue de la Liberté", "21000", "21231", "Dijon", 5.0395, 47.3219),
    ("21231_0540_00014", 14, "", "Rue de la Liberté", "21000", "21231", "Dijon", 5.0398, 47.3219),
    (
        "21231_0540_00012_bis",
        12,
        "bis",
        "Rue de la Liberté",
        "21000",
        "21231",
        "Dijon",
        5.03955,
        47.32192,
    ),
    ("21231_0300_00003", 3, "", "Boulevard Carnot", "21000", "21231", "Dijon", 5.0460, 47.3190),
    ("21231_0700_00021", 21, "", "Avenue Jean Jaurès", "21000", "21231", "Dijon", 5.0330, 47.3110),
    (
        "21166_0100_00021",
        21,
        "",
        "Avenue Jean Jaurès",
        "21300",
        "21166",
        "Chenôve",
        5.0080,
        47.2930,
    ),
    ("21166_0200_00005", 5, "", "Rue Saint-Exupéry", "21300", "21166", "Chenôve", 5.0060, 47.2900),
    ("21231_0800_00001", 1, "", "Place Darcy", "21000", "21231", "Dijon", 5.0340, 47.3225),
]


def write_ban(path, rows=SAMPLE) -> str:
    lines = [BAN_HEADER, *(ban_line(*row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
