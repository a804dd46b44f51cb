//! Formats beside JPEG (AVIF), and widths added to `media.sizes`, made in the background:
//! after a JPEG render from the original in hand, at fetch-ahead time for images cached
//! before (an upgrade, a new setting), or when a visitor asks for a file not made yet (who
//! gets the nearest file made meanwhile). One job per image
//! at a time; `media.encode_concurrency` jobs at once across accounts, each on one core.
//! The result joins the image's rendition in memory and on disk (the budgets count it) and
//! the feed lists it in `sources` with the next republish.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use actix_web::web::Bytes;
use tokio::sync::SemaphorePermit;

use super::fetch::FetchError;
use super::load::Resolved;
use super::render::render_complete;
use super::rendition::Rendition;
use super::{MediaService, links::source_tag};

/// Originals kept in memory while they wait for an encoder (a burst of new images): beyond
/// this, an original is dropped and downloaded again by fetch-ahead.
const MAX_WAITING_ORIGINALS: usize = 8;

/// Removes the key from the jobs in flight when the job ends, however it ends.
struct InFlight<'a> {
    service: &'a MediaService,
    key: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut encoding) = self.service.inner.encoding.lock() {
            encoding.remove(&self.key);
        }
    }
}

/// Runs `work` on a thread of its own at the lowest CPU priority, so an encode never slows
/// the JPEG renders and requests visitors wait for; `None` if the thread could not start or
/// panicked.
async fn low_priority<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("igfeed-avif".to_owned())
        .spawn(move || {
            igfeed_avif::lower_this_threads_priority();
            let _ = done.send(work());
        })
        .ok()?;
    result.await.ok()
}

impl MediaService {
    /// Whether `r`'s image should get other formats: posts' images only (the profile
    /// picture is small and listed without `sources`), and only when some are configured.
    fn wants_modern(&self, r: &Resolved) -> bool {
        !r.check_tag && !self.inner.params.formats.is_empty()
    }

    /// Claims `key` for one job; `None` when a job for it is running already.
    fn claim(&self, key: &str) -> Option<InFlight<'_>> {
        let mut encoding = self.inner.encoding.lock().ok()?;
        encoding.insert(key.to_owned()).then(|| InFlight {
            service: self,
            key: key.to_owned(),
        })
    }

    /// Makes the other formats of `r` from `original` (just downloaded) in a task of its own;
    /// when too many originals wait already, leaves it to fetch-ahead.
    pub(super) fn encode_later(&self, r: &Resolved, original: Bytes) {
        let waiting = &self.inner.waiting_originals;
        if !self.wants_modern(r) || waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING_ORIGINALS
        {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let (service, r) = (self.clone(), r.clone());
        tokio::spawn(async move {
            let permit = service.inner.encode.acquire().await;
            service
                .inner
                .waiting_originals
                .fetch_sub(1, Ordering::SeqCst);
            if let (Ok(permit), Some(claim)) = (permit, service.claim(&r.key)) {
                service.encode(&r, original, &claim, permit).await;
            }
        });
    }

    /// Makes what `r`'s cached image lacks in a task of its own, downloading the original
    /// again: a visitor asked for a format or width not made yet, or fetch-ahead found an
    /// image cached before AVIF or under other `media.sizes` (an upgrade, a new setting).
    pub(super) fn complete_later(&self, r: &Resolved) {
        let (service, r) = (self.clone(), r.clone());
        tokio::spawn(async move { service.complete(&r).await });
    }

    /// Whether `rendition` of `r` lacks a width of today's `media.sizes` or a configured
    /// format.
    pub(super) fn lacks(&self, r: &Resolved, rendition: &Rendition) -> bool {
        let params = &self.inner.params;
        let made = rendition.formats();
        rendition.sizes != params.sizes
            || (self.wants_modern(r) && params.formats.iter().any(|f| !made.contains(f)))
    }

    /// Makes what `r`'s cached image lacks, downloading its original again once an encoder
    /// is free. Nothing when a job for it runs.
    async fn complete(&self, r: &Resolved) {
        let Some(claim) = self.claim(&r.key) else {
            return;
        };
        match self.inner.memory.get(&r.key).await {
            Some(cached) if !self.lacks(r, &cached) => return,
            _ => {}
        }
        let Some(src) = r.image.as_deref() else {
            return;
        };
        let inner = &self.inner;
        // An expired or failing original is not asked for again per request: the refresher
        // renews the one, the other waits out its failure window (as `load` does).
        if inner.dead.lock().is_ok_and(|dead| dead.contains(src))
            || inner.failures.get(src, inner.clock.now()).is_some()
        {
            return;
        }
        // The encoder first: an original is downloaded only when one is free to take it.
        let Ok(permit) = inner.encode.acquire().await else {
            return;
        };
        let original = {
            let Ok(_permit) = inner.work.acquire().await else {
                return;
            };
            match inner.cdn.image(src, inner.clock.now()).await {
                Ok(bytes) => bytes,
                Err(FetchError::Expired) => {
                    if let Ok(mut dead) = inner.dead.lock() {
                        dead.insert(src.to_owned());
                    }
                    self.queue_heal(&r.heal_id);
                    return;
                }
                Err(error) => {
                    tracing::debug!(key = %r.key, %error, "original not downloaded again");
                    self.failed(src, error.to_string());
                    return;
                }
            }
        };
        self.encode(r, original, &claim, permit).await;
    }

    /// The job: every file of today's settings, keeping those of the image's current
    /// rendition that came from the same original (all made again if it came from another).
    async fn encode(
        &self,
        r: &Resolved,
        original: Bytes,
        _claim: &InFlight<'_>,
        _encoder: SemaphorePermit<'_>,
    ) {
        let inner = &self.inner;
        let epoch = self.epoch();
        let current = match inner.memory.get(&r.key).await {
            Some(found) => Some(found),
            None => self.read_disk(&r.key).await.map(Arc::new),
        };
        let mut params = inner.params.clone();
        if !self.wants_modern(r) {
            params.formats.clear();
        }
        let tag = r.image.as_deref().map(source_tag).unwrap_or_default();
        let started = std::time::Instant::now();
        let job =
            low_priority(move || render_complete(&original, &params, &tag, current.as_deref()))
                .await;
        let rendition = match job {
            Some(Ok(rendition)) => rendition,
            Some(Err(error)) => {
                tracing::warn!(key = %r.key, %error, "missing files not made");
                return;
            }
            None => {
                tracing::error!(key = %r.key, "encoding thread failed");
                return;
            }
        };
        if self.epoch() != epoch {
            return;
        }
        tracing::debug!(key = %r.key, elapsed = ?started.elapsed(), "made the missing files");
        self.store(&r.key, rendition).await;
    }

    /// Keeps a rendition in memory and on disk and publishes what it teaches.
    async fn store(&self, key: &str, rendition: Rendition) {
        self.write_disk(key, &rendition).await;
        self.remember(key, &rendition);
        let memory = &self.inner.memory;
        memory.insert(key.to_owned(), Arc::new(rendition)).await;
    }
}
