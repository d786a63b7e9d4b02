// Command gen writes the demo project's sample data to examples/demo/data,
// deterministically: the same bytes every time (fixed seed, fixed dates, gzip
// without a name or time). Run it from the repository root:
//
//	go run ./examples/demo/gen
//
// A few rows are bad on purpose, so that the demo shows rejects, filters and
// deduplication (see examples/demo/README.md):
//   - customers: an invalid email, a bad sign-up date, a customer repeated in one
//     export (dedupe keeps the last), and February's export updating January's rows;
//   - orders: an unparseable amount ("12,50"), a bad timestamp, a row with a
//     missing field, an unknown status, a negative amount, repeated orders (dedupe)
//     and "test" orders (filtered);
//   - events: a line that is not JSON, a bad timestamp, and a key ("referrer")
//     that appears only on the second day (a new column).
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	dir := filepath.Join("examples", "demo", "data")
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := write(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

var (
	firstNames = []string{"José", "Anna", "Lukas", "Chloé", "Mateo", "Sofia", "Jan", "Zoë", "Björn", "Aisha", "Léa", "Noah", "Inês", "Oliver", "Maja"}
	lastNames  = []string{"Müller", "García", "Rossi", "Dubois", "Nowak", "Silva", "Jansen", "Łukasiewicz", "Østergaard", "O'Brien", "Smith", "Costa"}
	countries  = []string{"fr", " de", "ES ", "It", "pt", "nl ", " PL", "se"}
	statuses   = []string{"placed", "shipped", "delivered", "cancelled"}
	coupons    = []string{"", "", "", "WELCOME10", "SPRING", ""}
	pages      = []string{"/", "/shop", "/shop/mugs", "/shop/teapots", "/cart", "/checkout"}
	devices    = []string{"ios", "android", "desktop"}
)

func write(dir string) error {
	rng := rand.New(rand.NewPCG(1, 2))
	files := map[string][]byte{}
	customers(rng, files)
	orders(rng, files)
	events(rng, files)
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func email(first, last string, id int) string {
	r := strings.NewReplacer("é", "e", "ü", "u", "ö", "o", "ë", "e", "ê", "e", "Ł", "l", "ø", "o", "Ø", "o", "'", "", "ç", "c")
	return strings.ToLower(r.Replace(first+"."+last)) + fmt.Sprintf("%d@example.com", id)
}

func customers(rng *rand.Rand, files map[string][]byte) {
	for month := 1; month <= 2; month++ {
		var b bytes.Buffer
		b.WriteString("Customer ID,Full Name,Email,Country,Signed Up\n")
		lo, hi := 1, 200
		if month == 2 {
			lo, hi = 180, 380 // 180-200 are updates of January's customers
		}
		for id := lo; id <= hi; id++ {
			first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
			name := first + " " + last
			if strings.Contains(name, "'") || rng.IntN(10) == 0 {
				name = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
			}
			mail := email(first, last, id)
			signed := time.Date(2025, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format("02/01/2006")
			switch {
			case month == 1 && id == 17:
				mail = "not-an-email" // rejected by the regex rule
			case month == 2 && id == 250:
				signed = "2025-13-01" // rejected by the cast
			case month == 2 && id >= 180 && id <= 200:
				mail = strings.Replace(mail, "@example.com", "@example.org", 1) // merge updates
			}
			fmt.Fprintf(&b, "%d,%s,%s,%s,%s\n", id, name, mail, countries[rng.IntN(len(countries))], signed)
			if month == 1 && id == 42 { // the same customer twice: dedupe keeps the last
				fmt.Fprintf(&b, "%d,%s,%s,%s,%s\n", id, name, strings.Replace(mail, "@", "+new@", 1), "fr", signed)
			}
		}
		files[fmt.Sprintf("incoming/customers/customers_2026-%02d.csv", month)] = b.Bytes()
	}
}

func orders(rng *rand.Rand, files map[string][]byte) {
	id := 100000
	for day := 1; day <= 3; day++ {
		var b bytes.Buffer
		b.WriteString("Order ID,customer_id,Total,status,coupon,ordered_at\n")
		for i := 0; i < 2000; i++ {
			id++
			at := time.Date(2026, 2, day, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(86400)) * time.Second)
			amount := fmt.Sprintf("%d.%02d", 5+rng.IntN(300), rng.IntN(100))
			status := statuses[rng.IntN(len(statuses))]
			if rng.IntN(20) == 0 {
				status = " " + strings.ToUpper(status) + " "
			}
			line := fmt.Sprintf("%d,%d,%s,%s,%s,%s", id, 1+rng.IntN(380), amount, status, coupons[rng.IntN(len(coupons))], at.Format("2006-01-02 15:04:05"))
			switch i {
			case 100:
				line = fmt.Sprintf("%d,%d,12,50,%s,,%s", id, 7, "placed", at.Format("2006-01-02 15:04:05")) // "12,50" unquoted: one field too many
			case 200:
				line = fmt.Sprintf("%d,%d,n/a,placed,,%s", id, 8, at.Format("2006-01-02 15:04:05")) // unparseable amount
			case 300:
				line = fmt.Sprintf("%d,%d,19.99,placed,,%s", id, 9, at.Format("02/01/2006 15h04")) // bad timestamp
			case 400:
				line = fmt.Sprintf("%d,%d,19.99,lost,,%s", id, 10, at.Format("2006-01-02 15:04:05")) // unknown status
			case 500:
				line = fmt.Sprintf("%d,%d,-5.00,placed,,%s", id, 11, at.Format("2006-01-02 15:04:05")) // negative amount
			case 600, 601, 602:
				line = fmt.Sprintf("%d,%d,1.00,test,,%s", id, 1, at.Format("2006-01-02 15:04:05")) // QA orders: filtered
			}
			b.WriteString(line + "\n")
			if i%250 == 7 { // the order changed later that day: dedupe keeps the last line
				fmt.Fprintf(&b, "%d,%d,%s,shipped,,%s\n", id, 1+rng.IntN(380), amount, at.Add(time.Hour).Format("2006-01-02 15:04:05"))
			}
		}
		files[fmt.Sprintf("incoming/orders/orders_2026-02-%02d.csv.gz", day)] = gzipped(b.Bytes())
	}
}

func events(rng *rand.Rand, files map[string][]byte) {
	n := 0
	for day := 1; day <= 2; day++ {
		var b bytes.Buffer
		for i := 0; i < 1000; i++ {
			n++
			at := time.Date(2026, 2, day, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(86400000)) * time.Millisecond)
			typ := "page_view"
			if rng.IntN(10) == 0 {
				typ = "purchase"
			}
			ctx := fmt.Sprintf(`{"device":%q,"utm":{"source":%q,"campaign":"spring"}}`, devices[rng.IntN(3)], []string{"mail", "ads", "social"}[rng.IntN(3)])
			extra := ""
			if day == 2 {
				extra = fmt.Sprintf(`,"referrer":%q`, []string{"google", "newsletter", "direct"}[rng.IntN(3)])
			}
			line := fmt.Sprintf(`{"event_id":%d,"ts":%q,"type":%q,"customer_id":%d,"page":%q,"context":%s%s}`,
				n, at.Format(time.RFC3339Nano), typ, 1+rng.IntN(380), pages[rng.IntN(len(pages))], ctx, extra)
			switch {
			case day == 1 && i == 10:
				line = `{"event_id": 11, "ts": "2026-02-01T00:00:00Z", "type": "page_view", ` // truncated: not JSON
			case day == 2 && i == 20:
				line = fmt.Sprintf(`{"event_id":%d,"ts":"yesterday","type":"page_view","customer_id":1,"page":"/","context":null}`, n)
			}
			b.WriteString(line + "\n")
		}
		files[fmt.Sprintf("incoming/events/2026-02-%02d/events.jsonl", day)] = b.Bytes()
	}
}

// gzipped compresses data reproducibly: no file name, no modification time.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}
