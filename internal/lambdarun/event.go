// Package lambdarun turns the events AWS delivers to the `etl` Lambda function
// into pipeline runs: EventBridge schedules, S3 ObjectCreated notifications
// (sent directly, wrapped in SQS messages, or as EventBridge events) and direct
// invokes. An event only says which pipelines to run: each run lists its source
// and loads what the ledger has not seen, so an event delivered twice, or one
// that names a file an earlier run already took, loads nothing twice.
package lambdarun

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Kinds of event the etl function accepts.
const (
	KindInvoke   = "invoke"   // {"pipeline": "orders", "full_refresh": false}
	KindSchedule = "schedule" // EventBridge "Scheduled Event"
	KindS3       = "s3"       // S3 notification (direct or EventBridge "Object Created")
	KindSQS      = "sqs"      // SQS messages carrying S3 notifications
	KindCommand  = "command"  // {"command": ["keys", "create", "--name", "ci", "--scope", "read"]}
)

// Invoke is a direct invocation: by hand (`aws lambda invoke`), by the api
// function (POST /v1/pipelines/{name}/runs, which chose the run id), or by an
// EventBridge rule whose target input is constant.
type Invoke struct {
	Pipeline    string `json:"pipeline"`
	FullRefresh bool   `json:"full_refresh"`
	RunID       string `json:"run_id,omitempty"`
	Trigger     string `json:"trigger,omitempty"` // default "invoke"
}

// ObjectRef is an object an S3 notification announces.
type ObjectRef struct {
	Bucket, Key string
}

// URL is the object's s3:// URL.
func (o ObjectRef) URL() string { return "s3://" + o.Bucket + "/" + o.Key }

// Event is one decoded invocation payload.
type Event struct {
	Kind    string
	Invoke  Invoke      // KindInvoke
	Rules   []string    // KindSchedule: the names of the rules that fired
	Objects []ObjectRef // KindS3
	// Command is a KindCommand's sluice command line, without "sluice".
	Command []string
	// Messages are the SQS messages of a KindSQS event, each decoded in turn;
	// a message that cannot be decoded has Err set.
	Messages []Message
}

// Message is one SQS message of a batch.
type Message struct {
	ID    string
	Event *Event
	Err   error
}

// envelope holds the fields that tell the event shapes apart.
type envelope struct {
	Records []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		MessageID   string `json:"messageId"`
		Body        string `json:"body"`
		S3          struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	Pipeline   *string         `json:"pipeline"`
	Command    []string        `json:"command"`
	S3Test     string          `json:"Event"` // "s3:TestEvent", sent when a notification is set up
}

// Decode recognises an invocation payload.
func Decode(payload []byte) (*Event, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("the event is not a JSON object: %w", err)
	}
	switch {
	case env.Command != nil:
		if len(env.Command) == 0 {
			return nil, fmt.Errorf("command invoke: \"command\" is empty; send {\"command\": [\"keys\", \"list\"]}")
		}
		return &Event{Kind: KindCommand, Command: env.Command}, nil
	case env.Pipeline != nil:
		var inv Invoke
		if err := strictUnmarshal(payload, &inv); err != nil {
			return nil, fmt.Errorf("direct invoke: %w; send {\"pipeline\": \"NAME\", \"full_refresh\": false}", err)
		}
		if inv.Pipeline == "" {
			return nil, fmt.Errorf("direct invoke: \"pipeline\" is empty; send {\"pipeline\": \"NAME\"}")
		}
		return &Event{Kind: KindInvoke, Invoke: inv}, nil
	case len(env.Records) > 0 && env.Records[0].EventSource == "aws:sqs":
		ev := &Event{Kind: KindSQS}
		for _, r := range env.Records {
			m := Message{ID: r.MessageID}
			m.Event, m.Err = Decode([]byte(r.Body))
			if m.Err == nil && m.Event.Kind != KindS3 {
				m.Event, m.Err = nil, fmt.Errorf("message %s: an SQS message must carry an S3 notification, not a %s event", r.MessageID, m.Event.Kind)
			}
			ev.Messages = append(ev.Messages, m)
		}
		return ev, nil
	case len(env.Records) > 0 && env.Records[0].EventSource == "aws:s3":
		ev := &Event{Kind: KindS3}
		for _, r := range env.Records {
			if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				continue // deletions and the like start nothing
			}
			// Keys in S3 notifications are URL-encoded, spaces as '+'.
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return nil, fmt.Errorf("S3 notification: bad object key %q: %w", r.S3.Object.Key, err)
			}
			ev.Objects = append(ev.Objects, ObjectRef{Bucket: r.S3.Bucket.Name, Key: key})
		}
		return ev, nil
	case env.S3Test == "s3:TestEvent":
		return &Event{Kind: KindS3}, nil
	case env.Source == "aws.events" && env.DetailType == "Scheduled Event":
		ev := &Event{Kind: KindSchedule}
		for _, arn := range env.Resources {
			if _, name, ok := strings.Cut(arn, ":rule/"); ok {
				ev.Rules = append(ev.Rules, name)
			}
		}
		return ev, nil
	case env.Source == "aws.s3" && env.DetailType == "Object Created":
		var d struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"` // not encoded in EventBridge events
			} `json:"object"`
		}
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			return nil, fmt.Errorf("EventBridge S3 event: %w", err)
		}
		return &Event{Kind: KindS3, Objects: []ObjectRef{{Bucket: d.Bucket.Name, Key: d.Object.Key}}}, nil
	}
	return nil, fmt.Errorf("unrecognised event: the etl function takes a direct invoke {\"pipeline\": \"NAME\"}, an EventBridge scheduled event, an S3 ObjectCreated notification (direct, through SQS or through EventBridge)")
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
