import { useEffect, useState } from "react";

/** The app's pages, addressed by the URL's hash so the Worker serves one index.html for all of them. */
export type Route =
  | { page: "products" }
  | { page: "product"; id: number }
  | { page: "cover" }
  | { page: "pool" }
  | { page: "incidents" }
  | { page: "incident"; id: number }
  | { page: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  const parts = path.split("/").filter(Boolean);
  const id = (s: string | undefined) => (s && /^[1-9]\d{0,9}$/.test(s) ? Number(s) : null);
  if (parts.length === 0 || (parts[0] === "products" && parts.length === 1)) return { page: "products" };
  if (parts[0] === "products" && parts.length === 2 && id(parts[1]) !== null) return { page: "product", id: id(parts[1])! };
  if (parts[0] === "cover" && parts.length === 1) return { page: "cover" };
  if (parts[0] === "pool" && parts.length === 1) return { page: "pool" };
  if (parts[0] === "incidents" && parts.length === 1) return { page: "incidents" };
  if (parts[0] === "incidents" && parts.length === 2 && id(parts[1]) !== null) return { page: "incident", id: id(parts[1])! };
  return { page: "not-found", path };
}

export const href = {
  products: "#/products",
  product: (id: number) => `#/products/${id}`,
  cover: "#/cover",
  pool: "#/pool",
  incidents: "#/incidents",
  incident: (id: number) => `#/incidents/${id}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
