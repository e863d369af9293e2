import { Incident, Incidents } from "./pages/Incidents";
import { MyCover } from "./pages/MyCover";
import { Pool } from "./pages/Pool";
import { Product } from "./pages/Product";
import { Products } from "./pages/Products";
import { href, useRoute, type Route } from "./route";
import { WalletButton } from "./wallet";

const NAV: { label: string; href: string; pages: Route["page"][] }[] = [
  { label: "Products", href: href.products, pages: ["products", "product"] },
  { label: "My cover", href: href.cover, pages: ["cover"] },
  { label: "Pool", href: href.pool, pages: ["pool"] },
  { label: "Incidents", href: href.incidents, pages: ["incidents", "incident"] },
];

export function App() {
  const route = useRoute();
  return (
    <>
      <header className="top">
        <a className="brand" href={href.products}>Tripwire</a>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a key={n.label} href={n.href} aria-current={n.pages.includes(route.page) ? "page" : undefined}>{n.label}</a>
          ))}
        </nav>
        <WalletButton />
      </header>
      <main className="page">
        {route.page === "products" && <Products />}
        {route.page === "product" && <Product id={route.id} />}
        {route.page === "cover" && <MyCover />}
        {route.page === "pool" && <Pool />}
        {route.page === "incidents" && <Incidents />}
        {route.page === "incident" && <Incident id={route.id} />}
        {route.page === "not-found" && <p role="alert">No page at {route.path}. <a href={href.products}>See the products.</a></p>}
      </main>
      <footer className="foot">
        Parametric cover, paid when an oracle-fed condition trips. <a href="/docs">API</a>
      </footer>
    </>
  );
}
