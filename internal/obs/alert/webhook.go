package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/obs"
)

// Payload is the JSON body posted to the webhook: Slack's text, which Slack,
// Mattermost, Teams workflows and most chat tools show, and the alert's fields
// for everything else.
type Payload struct {
	Text string `json:"text"`
	Alert
}

// Text renders an alert for a chat message.
func (a Alert) Text() string {
	icon, state := ":rotating_light:", "FIRING"
	if a.Status == StatusResolved {
		icon, state = ":white_check_mark:", "RESOLVED"
	}
	who := a.Rule
	if a.Pipeline != "" {
		who += " (pipeline " + a.Pipeline + ")"
	}
	return fmt.Sprintf("%s [%s] Sluice alert %s: %s", icon, state, who, a.Message)
}

// notifier posts alerts to a webhook, retrying on network errors, 429 and 5xx.
type notifier struct {
	url      string // "" posts nothing
	client   *http.Client
	attempts int
	wait     time.Duration
}

func (n *notifier) send(ctx context.Context, a Alert) error {
	if n.url == "" {
		return nil
	}
	body, err := json.Marshal(Payload{Text: a.Text(), Alert: a})
	if err != nil {
		return err
	}
	wait := n.wait
	var last error
	for attempt := 1; attempt <= n.attempts; attempt++ {
		retry, err := n.post(ctx, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == n.attempts {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%w (after: %v)", ctx.Err(), last)
		}
		wait *= 2
	}
	return last
}

// post posts once and says whether a failure is worth another try.
func (n *notifier) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook: %s", obs.Redact(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice-alerts")
	resp, err := n.client.Do(req)
	if err != nil {
		// The URL may carry a token (Slack's do): keep it out of the message.
		return ctx.Err() == nil, fmt.Errorf("posting to the webhook %s: %s", webhookHost(n.url), obs.Redact(stripURL(err.Error(), n.url)))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, fmt.Errorf("the webhook %s answered %s: %s", webhookHost(n.url), resp.Status, strings.TrimSpace(string(snippet)))
}

// webhookHost returns scheme://host of a webhook URL, whose path is often a secret.
func webhookHost(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		if k := strings.LastIndexByte(rest, '@'); k >= 0 {
			rest = rest[k+1:]
		}
		return raw[:i+3] + rest
	}
	return "(webhook)"
}

// stripURL replaces the full webhook URL in s by its host.
func stripURL(s, raw string) string {
	s = strings.ReplaceAll(s, `"`+raw+`"`, webhookHost(raw))
	return strings.ReplaceAll(s, raw, webhookHost(raw))
}
