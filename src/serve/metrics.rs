//! The server's Prometheus metrics: requests by route and status, latency histograms by route,
//! requests in flight, the serving model's ID, and reloads by outcome.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Model {
    model_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

type Buckets = fn() -> Histogram;

pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<Route, Histogram, Buckets>,
    in_flight: Gauge,
    model: Family<Model, Gauge>,
    reloads: Family<Outcome, Counter>,
    /// Serialises the model-info swap (clear, then set) against concurrent scrapes' view.
    model_swap: Mutex<()>,
}

/// 0.25 ms to about 8 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kolrec");
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        let latency = Family::<Route, Histogram, Buckets>::new_with_constructor(latency_buckets as Buckets);
        registry.register("http_request_duration_seconds", "Time to answer, by route", latency.clone());
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "Requests being answered now", in_flight.clone());
        let model = Family::<Model, Gauge>::default();
        registry.register("model_info", "The serving model (1 for its model_id)", model.clone());
        let reloads = Family::<Outcome, Counter>::default();
        registry.register("model_reloads", "Model reloads, by outcome (ok, failed)", reloads.clone());
        Metrics { registry, requests, latency, in_flight, model, reloads, model_swap: Mutex::new(()) }
    }

    /// A request started (`finished` ends it).
    pub fn started(&self) {
        self.in_flight.inc();
    }

    pub fn finished(&self, route: &str, status: u16, took: Duration) {
        self.in_flight.dec();
        self.requests.get_or_create(&RouteStatus { route: route.to_string(), status }).inc();
        self.latency.get_or_create(&Route { route: route.to_string() }).observe(took.as_secs_f64());
    }

    pub fn serving(&self, model_id: &str) {
        let _one = self.model_swap.lock().expect("metrics lock");
        self.model.clear();
        self.model.get_or_create(&Model { model_id: model_id.to_string() }).set(1);
    }

    pub fn reloaded(&self, ok: bool) {
        self.reloads.get_or_create(&Outcome { outcome: if ok { "ok" } else { "failed" } }).inc();
    }

    /// The metrics in the OpenMetrics text format Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}
