import { t } from '../i18n.js';
import { newPasswordPage } from './newpass.js';

export default (ctx) => newPasswordPage(ctx, { title: t('setpass.title'), intro: t('setpass.intro'),
  endpoint: '/password/set', doneKey: 'setpass.done' });
