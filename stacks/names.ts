/** `$connect` -> `Connect`, `POST /games/{gameId}/score` -> `PostGamesGameIdScore`: a readable construct id. */
export const constructIdPart = (key: string) =>
  key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("");
