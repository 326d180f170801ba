package dingtalk_test

import (
	"net/url"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk"
)

func TestSNSSignatureWorkedExample(t *testing.T) {
	// Reference §7.2.
	sig := dingtalk.SNSSignature("testappSecret", "1546084445901")
	if want := "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE="; sig != want {
		t.Errorf("SNSSignature = %q, want %q", sig, want)
	}
	enc := url.Values{"signature": {sig}}.Encode()
	if want := "signature=HCbG3xNE3vzhO%2Bu7qCUL1jS5hsu2n5r2cFhnTrtyDAE%3D"; enc != want {
		t.Errorf("encoded = %q, want %q", enc, want)
	}
}

func TestSNSSignatureJustAuthVector(t *testing.T) {
	// JustAuth GlobalAuthUtilsTest: key "SHA-256", message with a trailing space.
	sig := dingtalk.SNSSignature("SHA-256", "1562325753000 ")
	if want := "mLTZEMqIlpAA3xtJ43KcRT0EDLwgSamFe/Nis5lq9ik="; sig != want {
		t.Errorf("SNSSignature = %q, want %q", sig, want)
	}
	if got, want := url.QueryEscape(sig), "mLTZEMqIlpAA3xtJ43KcRT0EDLwgSamFe%2FNis5lq9ik%3D"; got != want {
		t.Errorf("encoded = %q, want %q", got, want)
	}
}

func TestISVSignatureExample(t *testing.T) {
	// Reference §7.3.
	sig := dingtalk.ISVSignature("testSuiteSecret", "1527130370219", "TestSuiteTicket")
	if want := "5PMX0+4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg="; sig != want {
		t.Errorf("ISVSignature = %q, want %q", sig, want)
	}
	if got, want := url.QueryEscape(sig), "5PMX0%2B4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg%3D"; got != want {
		t.Errorf("encoded = %q, want %q", got, want)
	}
}
