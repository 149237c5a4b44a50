"""Districts of the demo metropolis: Voronoi cells around its communes' centres."""


def voronoi_cells(
    centers: list[tuple[float, float]], bbox: tuple[float, float, float, float]
) -> list[list[list[float]]]:
    """Voronoi cell of each (lon, lat) centre, clipped to bbox (min_lon, min_lat, max_lon,
    max_lat), as closed GeoJSON rings. Planar in degrees, which is fine at a city's scale."""
    min_lon, min_lat, max_lon, max_lat = bbox
    box = [(min_lon, min_lat), (max_lon, min_lat), (max_lon, max_lat), (min_lon, max_lat)]
    cells = []
    for i, (x0, y0) in enumerate(centers):
        polygon = box
        for j, (x1, y1) in enumerate(centers):
            if i != j:
                polygon = _clip_closer_to(polygon, (x0, y0), (x1, y1))
        ring = [[round(x, 6), round(y, 6)] for x, y in polygon]
        cells.append([*ring, ring[0]])
    return cells


def _clip_closer_to(polygon, keep, other):
    """Sutherland–Hodgman clip of a convex polygon to the half-plane nearer `keep`."""
    (kx, ky), (ox, oy) = keep, other
    nx, ny = ox - kx, oy - ky
    mid = ((kx + ox) / 2, (ky + oy) / 2)

    def side(point):
        return (point[0] - mid[0]) * nx + (point[1] - mid[1]) * ny  # < 0: nearer keep

    clipped = []
    for index, current in enumerate(polygon):
        previous = polygon[index - 1]
        current_in, previous_in = side(current) <= 0, side(previous) <= 0
        if current_in != previous_in:
            t = side(previous) / (side(previous) - side(current))
            clipped.append(
                (
                    previous[0] + t * (current[0] - previous[0]),
                    previous[1] + t * (current[1] - previous[1]),
                )
            )
        if current_in:
            clipped.append(current)
    return clipped
