import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { StrictMode, useMemo } from "react";
import { createRoot } from "react-dom/client";
import { getDeployment } from "./api";
import { App } from "./App";
import { inWords } from "./errors";
import "./style.css";
import { wagmiConfigFor, WalletProvider, type Deployment } from "./wallet";

const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 5_000, refetchInterval: 10_000, retry: 1 } } });

function Root() {
  const deployment = useQuery({ queryKey: ["deployment"], queryFn: getDeployment, refetchInterval: false, staleTime: Infinity });
  const config = useMemo(() => (deployment.data ? wagmiConfigFor(deployment.data as Deployment) : null), [deployment.data]);
  if (deployment.error) return <main className="page"><h1>Tripwire</h1><p role="alert" className="error">The API did not answer: {inWords(deployment.error)}</p></main>;
  if (!deployment.data || !config) return <main className="page"><p aria-busy="true">Loading…</p></main>;
  return (
    <WalletProvider deployment={deployment.data as Deployment} config={config}>
      <App />
    </WalletProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Root />
    </QueryClientProvider>
  </StrictMode>,
);
