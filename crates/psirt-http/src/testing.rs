//! What the stand-in services share (the `testing` feature): a free
//! loopback port to serve an axum router on, and the faults a test queues
//! for the next requests to a route. What a stand-in answers, and what a
//! fault does to the answer, are each stand-in's.

use std::collections::VecDeque;

use axum::Router;

/// A stand-in's socket on a free loopback port, bound before the router
/// is built so that the router can know its own URL (GitHub's `Link`
/// headers and `url` fields carry it).
pub struct Loopback {
    listener: tokio::net::TcpListener,
}

impl Loopback {
    pub async fn bind() -> Loopback {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port for a stand-in");
        Loopback { listener }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        let address = self.listener.local_addr().expect("a bound socket");
        format!("http://{address}")
    }

    /// Serves `app` in the background for as long as the test's runtime
    /// runs.
    pub fn serve(self, app: Router) {
        tokio::spawn(async move { axum::serve(self.listener, app).await.unwrap() });
    }
}

/// Faults queued per request (`method` and the stand-in's name for the
/// route), each taken by the next matching request, oldest first.
pub struct Faults<F> {
    queues: Vec<(String, String, VecDeque<F>)>,
}

impl<F> Default for Faults<F> {
    fn default() -> Faults<F> {
        Faults { queues: Vec::new() }
    }
}

impl<F> Faults<F> {
    /// Queues `fault` for the next request to `route` with `method`.
    pub fn push(&mut self, method: &str, route: &str, fault: F) {
        match self.queue(method, route) {
            Some(queue) => queue.push_back(fault),
            None => self
                .queues
                .push((method.into(), route.into(), VecDeque::from([fault]))),
        }
    }

    /// The fault this request takes, if one is queued for it.
    pub fn take(&mut self, method: &str, route: &str) -> Option<F> {
        self.queue(method, route)?.pop_front()
    }

    fn queue(&mut self, method: &str, route: &str) -> Option<&mut VecDeque<F>> {
        self.queues
            .iter_mut()
            .find(|(m, r, _)| m == method && r == route)
            .map(|(_, _, queue)| queue)
    }
}
