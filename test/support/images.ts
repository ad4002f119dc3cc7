// The images test/bed/make-images.sh builds. Every test container comes from these:
// there is no image registry on the internet to pull from.

/** busybox httpd on port 80 serving INDEX_TEXT at "/" and "instance <hostname>" at /host.txt. */
export const TEST_IMAGE = 'dokkaa/busybox:test'
/** The same image with INDEX_TEXT_V2, for update/replace tests. */
export const TEST_IMAGE_V2 = 'dokkaa/busybox:test2'
/** The local registry the bed runs (Debian's docker-registry). */
export const TEST_REGISTRY = process.env.DOKKAA_TEST_REGISTRY ?? '127.0.0.1:5000'
/** TEST_IMAGE, present only in TEST_REGISTRY (no local tag), for pull-path tests. */
export const PULL_IMAGE = `${TEST_REGISTRY}/dokkaa/busybox:pull`
/** The port the test images' httpd listens on (also their EXPOSE). */
export const TEST_IMAGE_PORT = 80
/** Body of "/" in TEST_IMAGE and PULL_IMAGE (plus a trailing newline). */
export const INDEX_TEXT = 'hello from dokkaa'
/** Body of "/" in TEST_IMAGE_V2 (plus a trailing newline). */
export const INDEX_TEXT_V2 = 'hello from dokkaa v2'
/** Body of "/host.txt" in a container whose hostname is `hostname`. */
export const hostText = (hostname: string): string => `instance ${hostname}`
/**
 * TEST_IMAGE plus what zero-downtime tests need (test/bed/make-rollout-image.sh): "/" is
 * $VERSION (default v1), /healthz is 200 until the file /www/healthz is removed (absent
 * from the start with HEALTHY=0), /cgi-bin/slow answers "slow $VERSION" after 3 s, and PID
 * 1 logs "got SIGTERM" and drains (IGNORE_TERM=1: keeps running). LOG_REQUESTS=1 logs
 * each request ("url:/healthz") on stderr.
 */
export const ROLLOUT_IMAGE = 'dokkaa/busybox:rollout'
/** ROLLOUT_IMAGE's slow endpoint (/cgi-bin/slow?N: after N s; the path is the one busybox httpd gave it). */
export const SLOW_PATH = '/cgi-bin/slow'
