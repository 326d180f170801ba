package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// ExchangeDingTalkCode resolves a mini program's dd.getAuthCode code for
// the token endpoint's token exchange: the corp is x.CorpID, or the only
// corp the client's policy allows; the client's policy is applied, and a
// refusal wraps provider.ErrRefused.
func (l *Login) ExchangeDingTalkCode(ctx context.Context, x provider.CodeExchange) (provider.Finish, error) {
	corp, err := l.pickCorp(x.CorpID, x.Policy)
	switch {
	case errors.Is(err, resolve.ErrUnknownCorp):
		return provider.Finish{}, oidc.ErrInvalidRequest().WithDescription("corp_id names no configured corp")
	case err != nil:
		return provider.Finish{}, fmt.Errorf("%w: %w", provider.ErrRefused, err)
	case corp == "":
		return provider.Finish{}, oidc.ErrInvalidRequest().WithDescription("corp_id is required")
	}
	res, err := l.res.MiniProgram(ctx, corp, x.Code)
	if err != nil {
		return provider.Finish{}, fmt.Errorf("mini program login: %w", err)
	}
	if err := l.res.Check(res, x.Policy); err != nil {
		return provider.Finish{}, fmt.Errorf("%w: %w", provider.ErrRefused, err)
	}
	return provider.Finish{Identity: &res.Identity, AMR: res.AMR, CorpID: res.CorpID}, nil
}
